// Threat model: the audit chain must stay one unbroken line when several control-plane processes
// append at once (PostgreSQL), and deleting the newest events must stay detectable.
//
// On SQLite every write goes through the one connection, so a transaction that reads the chain's
// last hash and appends after it cannot interleave with another. On PostgreSQL two processes (or two
// pooled connections of one) can: the appending transaction first takes a transaction-scoped
// advisory lock, so the database, not process memory, puts appends in one order; the lock is
// released by COMMIT or ROLLBACK. Ids come from an identity sequence, which a rolled-back append
// still consumes, so the highest id ever appended is kept in `settings` in the same transaction
// (SQLite keeps the equivalent in sqlite_sequence, transactionally).
import { type Kysely, sql, type Transaction } from 'kysely';
import { isPostgres } from '../storage/dialect.js';
import type { LocalDatabase } from '../storage/local-schema.js';

/** Key of the advisory lock serialising appends ("tfau" in ASCII). */
const CHAIN_LOCK = 0x74666175;
const HIGH_WATER_KEY = 'audit_high_water';

/** Waits until no other transaction is appending; no-op on SQLite. Call inside the transaction. */
export async function lockAuditChain(trx: Kysely<LocalDatabase> | Transaction<LocalDatabase>): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${sql.lit(CHAIN_LOCK)})`.execute(trx);
}

/** Records the highest id appended (PostgreSQL); SQLite's AUTOINCREMENT does this itself. */
export async function recordChainHighWater(
  trx: Kysely<LocalDatabase> | Transaction<LocalDatabase>,
  id: number,
): Promise<void> {
  if (!isPostgres(trx)) return;
  const value = String(id);
  await trx
    .insertInto('settings')
    .values({ key: HIGH_WATER_KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** The highest id ever handed to an audit event; undefined when none was (or it is unknown). */
export async function chainHighWater(db: Kysely<LocalDatabase>): Promise<number | undefined> {
  try {
    if (isPostgres(db)) {
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', HIGH_WATER_KEY)
        .executeTakeFirst();
      return row ? Number(row.value) : undefined;
    }
    const r = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'audit_events'`.execute(
      db,
    );
    return r.rows[0] ? Number(r.rows[0].seq) : undefined;
  } catch {
    return undefined;
  }
}
