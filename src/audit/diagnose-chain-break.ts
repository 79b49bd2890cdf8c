// Says what happened where the audit chain first breaks: an event altered, deleted, inserted or
// moved. Pure: it is handed the last good event and the events from the break on.
//
// Threat model: someone with write access to local.db edits, deletes, inserts or reorders rows,
// with or without recomputing hashes. The chain is keyed by nothing, so an attacker who recomputes
// every hash from the edit to the end goes unnoticed by the links alone; what still shows is where
// an edit stopped (the next event's link), an id gap, or the AUTOINCREMENT high-water mark (see
// verify-chain.ts). These clues decide the wording; the event named is always the first row whose
// place in the chain is wrong.
import type { StoredAuditEvent } from './ledger.js';

export type ChainProblem = 'altered' | 'deleted' | 'inserted' | 'reordered';

export interface ChainBreak {
  /** The first event whose place in the chain is wrong (for a deletion: the id that is missing, when known). */
  id: number;
  event_type: string | null;
  created_at: string | null;
  problem: ChainProblem;
  reason: string;
}

export interface BreakContext {
  /** The hash the event at the break should link to (the last good event's, the anchor's or genesis). */
  expectedPrev: string;
  /** The last event that verified, with the hash it linked to; undefined when the break is the first event. */
  previous: Pick<StoredAuditEvent, 'id' | 'event_type' | 'created_at' | 'prev_hash'> | undefined;
  /** The id the chain starts after (the anchor's, or 0): where a deletion at the very start begins. */
  startAfterId: number;
  /**
   * The events from the break on (the first one broke), as many as were read. A compact event's link
   * is NULL when it could not be found (verify-chain.ts fills in the ones it finds).
   */
  rows: readonly StoredAuditEvent[];
  /** The event's hash given a previous hash; undefined when its stored content cannot be read. */
  hashOf(row: StoredAuditEvent, prev: string): string | undefined;
}

export function diagnoseBreak(ctx: BreakContext): ChainBreak {
  const { expectedPrev, previous, rows } = ctx;
  const row = rows[0]!;
  const next = rows[1];
  const named = (
    problem: ChainProblem,
    reason: string,
    r: Pick<StoredAuditEvent, 'id' | 'event_type' | 'created_at'> = row,
  ) => ({
    id: r.id,
    event_type: r.event_type,
    created_at: r.created_at,
    problem,
    reason,
  });
  const selfConsistent = row.prev_hash !== null && ctx.hashOf(row, row.prev_hash) === row.hash;

  if (row.prev_hash === expectedPrev) {
    // The link is right, so the content (or the stored hash) is not.
    if (next?.prev_hash === expectedPrev)
      return named(
        'inserted',
        'it is not part of the chain: the event after it links to the event before it',
      );
    return named('altered', 'its content does not match its hash');
  }

  // The link is wrong.
  const laterIndex = rows.findIndex((r, i) => i > 0 && r.prev_hash === expectedPrev);
  if (selfConsistent && previous && row.prev_hash === previous.prev_hash) {
    // This event links past the one before it: that one was slipped in with a well-formed hash.
    return named(
      'inserted',
      `it is not part of the chain: event #${row.id} after it links to the event before it`,
      previous,
    );
  }
  if (laterIndex > 0) {
    const home = rows[laterIndex]!;
    const belongsAfter = rows.find((r) => r.hash === row.prev_hash);
    if (belongsAfter || selfConsistent) {
      return named(
        'reordered',
        `it is out of order: event #${home.id} is the one that follows #${previous?.id ?? 'the start'}` +
          (belongsAfter ? `, and this one belongs after #${belongsAfter.id}` : ''),
      );
    }
    return named('inserted', `it is not part of the chain: event #${home.id} links to the event before it`);
  }
  const belongsAfter = rows.find((r) => r.hash === row.prev_hash);
  if (belongsAfter) {
    return named('reordered', `it is out of order: it belongs after event #${belongsAfter.id}`);
  }
  const gapStart = (previous?.id ?? ctx.startAfterId) + 1;
  if (row.prev_hash === null && row.id > gapStart) {
    // A compact event (its link implied) that follows no event at hand, after a gap in the ids.
    const ids = row.id - 1 > gapStart ? `#${gapStart}–#${row.id - 1}` : `#${gapStart}`;
    return {
      id: gapStart,
      event_type: null,
      created_at: null,
      problem: 'deleted',
      reason: `event ${ids} ${row.id - 1 > gapStart ? 'are' : 'is'} missing: event #${row.id} does not follow the event before the gap`,
    };
  }
  if (!selfConsistent) {
    return named(
      'altered',
      row.prev_hash === null
        ? 'its content does not match its hash'
        : 'its link to the event before it and its content do not match its hash',
    );
  }
  // A well-formed event whose predecessor is not in the chain: events before it were deleted, or the
  // one before it was rewritten with a recomputed hash.
  if (row.id > gapStart) {
    const ids = row.id - 1 > gapStart ? `#${gapStart}–#${row.id - 1}` : `#${gapStart}`;
    return {
      id: gapStart,
      event_type: null,
      created_at: null,
      problem: 'deleted',
      reason: `event ${ids} ${row.id - 1 > gapStart ? 'are' : 'is'} missing: event #${row.id} links to an event that is not in the chain`,
    };
  }
  if (previous) {
    return named(
      'altered',
      `its hash was recomputed after an edit: event #${row.id} still links to its old hash ` +
        '(or events between them were deleted and the ids renumbered)',
      previous,
    );
  }
  return named('deleted', 'it links to an event that is not in the chain: the events before it were deleted');
}
