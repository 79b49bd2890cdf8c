// Reading the audit ledger: filtered pages (newest first, or oldest first for exports) with an
// opaque cursor, and a walk over everything for export. Nothing here writes: the ledger is
// append-only (src/audit/ledger.ts).
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { GENESIS_HASH, type StoredAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import { isPostgres } from '../../storage/dialect.js';
import type { LocalDatabase } from '../../storage/local-schema.js';

export interface AuditFilter {
  /** Event types, comma-separated; `action.*` matches a family. */
  type?: string | undefined;
  actor?: string | undefined;
  /** Events by or about this agent (actor or subject `agent:NAME`). */
  agent?: string | undefined;
  /** ISO-8601 (or a date); inclusive. */
  since?: string | undefined;
  /** ISO-8601 (or a date); exclusive. */
  until?: string | undefined;
}

export interface AuditPageQuery extends AuditFilter {
  limit: number;
  order: 'asc' | 'desc';
  cursor?: string | undefined;
}

type Query = SelectQueryBuilder<LocalDatabase, 'audit_events', StoredAuditEvent>;

/**
 * Events as readers see them: a compact event's implied previous hash (NULL in the table, see
 * src/audit/ledger.ts) filled in from the event before it, so lists and exports show every link.
 */
function selectEvents(db: Kysely<LocalDatabase>): Query {
  // The first remaining event links to the retention anchor's hash (the last pruned event), or to
  // genesis when nothing was ever pruned. Read unverified: this is display; `audit verify` checks it.
  const anchorHash = isPostgres(db)
    ? sql<string>`(select s.value::json #>> '{anchor,hash}' from settings s where s.key = 'audit_anchor')`
    : sql<string>`(select json_extract(s.value, '$.anchor.hash') from settings s where s.key = 'audit_anchor')`;
  return db
    .selectFrom('audit_events')
    .select([
      'id',
      'event_type',
      'actor',
      'subject',
      'details',
      'created_at',
      sql<
        string | null
      >`coalesce(prev_hash, (select p.hash from audit_events p where p.id < audit_events.id order by p.id desc limit 1), ${anchorHash}, ${GENESIS_HASH})`.as(
        'prev_hash',
      ),
      'hash',
    ]);
}

/** An ISO timestamp from what a person typed, or a validation error naming the parameter. */
export function isoTime(name: string, value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new AppError('validation_failed', `${name} is not a date or time: ${value}`);
  return new Date(t).toISOString();
}

function applyFilter(q: Query, f: AuditFilter): Query {
  if (f.type) {
    const types = f.type
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    q = q.where((eb) =>
      eb.or(
        types.map((t) =>
          // `action.*`: the range ['action.', 'action/'), which the event_type index serves.
          t.endsWith('.*')
            ? eb.and([eb('event_type', '>=', t.slice(0, -1)), eb('event_type', '<', `${t.slice(0, -2)}/`)])
            : eb('event_type', '=', t),
        ),
      ),
    );
  }
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.agent) {
    const who = `agent:${f.agent}`;
    q = q.where((eb) => eb.or([eb('actor', '=', who), eb('subject', '=', who)]));
  }
  if (f.since) q = q.where('created_at', '>=', isoTime('since', f.since));
  if (f.until) q = q.where('created_at', '<', isoTime('until', f.until));
  return q;
}

function encodeCursor(order: 'asc' | 'desc', id: number): string {
  return Buffer.from(`${order}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string, order: 'asc' | 'desc'): number {
  const m = /^(asc|desc):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('validation_failed', 'cursor is not one this API handed out');
  if (m[1] !== order) throw new AppError('validation_failed', `this cursor pages ${m[1]}, not ${order}`);
  return Number(m[2]);
}

/** One page, and the cursor of the next one (null at the end). */
export async function auditPage(
  db: Kysely<LocalDatabase>,
  q: AuditPageQuery,
): Promise<{ events: StoredAuditEvent[]; next_cursor: string | null }> {
  let sel = applyFilter(selectEvents(db), q);
  if (q.cursor) {
    const after = decodeCursor(q.cursor, q.order);
    sel = sel.where('id', q.order === 'desc' ? '<' : '>', after);
  }
  const rows = await sel
    .orderBy('id', q.order)
    .limit(q.limit + 1)
    .execute();
  const more = rows.length > q.limit;
  const events = more ? rows.slice(0, q.limit) : rows;
  return { events, next_cursor: more ? encodeCursor(q.order, events[events.length - 1]!.id) : null };
}

/** Every matching event, oldest first, a page at a time (for export). */
export async function* auditEventsInOrder(
  db: Kysely<LocalDatabase>,
  filter: AuditFilter,
  pageSize = 1000,
): AsyncGenerator<StoredAuditEvent> {
  let lastId = 0;
  for (;;) {
    const rows = await applyFilter(selectEvents(db), filter)
      .where('id', '>', lastId)
      .orderBy('id', 'asc')
      .limit(pageSize)
      .execute();
    yield* rows;
    if (rows.length < pageSize) return;
    lastId = rows[rows.length - 1]!.id;
  }
}
