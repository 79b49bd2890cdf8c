// Walks the audit chain and names the first event that does not match, saying whether it was
// altered, deleted, inserted or reordered (diagnose-chain-break.ts). After retention pruning the chain
// starts at a signed anchor (the hash of the last pruned event), so what remains still verifies and a
// forged anchor does not. Deleting the newest events leaves no broken link, so the highest id ever
// handed out (SQLite's sqlite_sequence, a settings row on PostgreSQL: chain-lock.ts) is compared with
// the last id as well.
import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../storage/local-schema.js';
import { type AuditAnchor, readAnchor } from './anchor.js';
import { chainHighWater } from './chain-lock.js';
import { type ChainBreak, diagnoseBreak } from './diagnose-chain-break.js';
import { GENESIS_HASH, hashEvent, type StoredAuditEvent } from './ledger.js';

export interface ChainVerification {
  ok: boolean;
  checked: number;
  anchor: AuditAnchor | null;
  /** The newest event that verified: record its hash elsewhere to detect a rewrite of the whole tail later. */
  head: { id: number; hash: string } | null;
  firstBad?: ChainBreak | undefined;
}

const PAGE = 1000;

/** The event's hash, or undefined when its stored details are not JSON (then it was altered). */
function hashOf(row: StoredAuditEvent, prev: string): string | undefined {
  try {
    return hashEvent(row, prev);
  } catch {
    return undefined;
  }
}

export async function verifyChain(
  db: Kysely<LocalDatabase>,
  publicKeys: KeyObject | readonly KeyObject[],
): Promise<ChainVerification> {
  const anchored = await readAnchor(db, publicKeys);
  if (anchored.status === 'invalid') {
    return {
      ok: false,
      checked: 0,
      anchor: null,
      head: null,
      firstBad: {
        id: 0,
        event_type: null,
        created_at: null,
        problem: 'altered',
        reason: `the retention anchor is invalid: ${anchored.reason}`,
      },
    };
  }
  const anchor = anchored.status === 'ok' ? anchored.anchor : null;
  // Read before the walk: events appended while it runs (another process) have higher ids, so they
  // cannot be mistaken for deleted ones.
  const highWater = await chainHighWater(db);
  const startAfterId = anchor?.id ?? 0;
  let prev = anchor?.hash ?? GENESIS_HASH;
  let previous: StoredAuditEvent | undefined;
  let previousLink = prev; // the hash `previous` links to (filled in where it is implied)
  let checked = 0;
  let lastId = startAfterId;
  const head = () => (previous ? { id: previous.id, hash: previous.hash ?? '' } : null);
  // Stream in pages so a large ledger does not have to fit in memory.
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) break;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      // A compact event's previous hash is implied (NULL): its hash alone says whether it follows.
      if ((row.prev_hash !== null && row.prev_hash !== prev) || hashOf(row, prev) !== row.hash) {
        // Enough of what follows to tell a move or an insertion from an edit.
        const window = [
          ...rows.slice(i),
          ...(await db
            .selectFrom('audit_events')
            .selectAll()
            .where('id', '>', rows[rows.length - 1]!.id)
            .orderBy('id')
            .limit(PAGE)
            .execute()),
        ];
        const firstBad = diagnoseBreak({
          expectedPrev: prev,
          previous: previous && { ...previous, prev_hash: previousLink },
          startAfterId,
          rows: withLinksFound(window, prev, previousLink),
          hashOf,
        });
        return { ok: false, checked, anchor, head: head(), firstBad };
      }
      previousLink = prev;
      prev = row.hash as string;
      previous = row;
      lastId = row.id;
      checked++;
    }
  }
  if (highWater !== undefined && highWater > lastId) {
    const missing = highWater > lastId + 1 ? `#${lastId + 1}–#${highWater} are` : `#${highWater} is`;
    return {
      ok: false,
      checked,
      anchor,
      head: head(),
      firstBad: {
        id: lastId + 1,
        event_type: null,
        created_at: null,
        problem: 'deleted',
        reason: `event ${missing} missing from the end of the ledger (ids up to #${highWater} were handed out)`,
      },
    };
  }
  return { ok: true, checked, anchor, head: head() };
}

/**
 * The window after a break with the implied links of compact events filled in where they can be
 * found, so that the diagnosis can tell a move or an insertion from an edit as it does for events
 * that store their link: a link is found when the event's hash matches with a hash at hand (the one
 * expected, the one before the last good event, or, for the two events the diagnosis looks at
 * closely, any hash in the window). One that is not found stays NULL: the event was altered, or the
 * one it followed is gone.
 */
function withLinksFound(
  rows: StoredAuditEvent[],
  expectedPrev: string,
  previousLink: string,
): StoredAuditEvent[] {
  const near = [
    expectedPrev,
    previousLink,
    ...rows.map((r) => r.hash).filter((h): h is string => h !== null),
  ];
  return rows.map((row, i) => {
    if (row.prev_hash !== null) return row;
    const candidates = i < 2 ? near : [expectedPrev];
    const link = candidates.find((h) => hashOf(row, h) === row.hash);
    return link === undefined ? row : { ...row, prev_hash: link };
  });
}
