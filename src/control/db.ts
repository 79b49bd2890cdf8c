// The handle every control-plane store works on: the database itself, or a transaction a caller
// opened so several stores' writes commit together.
import type { Kysely, Transaction } from 'kysely';
import type { LocalDatabase } from '../storage/local-schema.js';

export type Db = Kysely<LocalDatabase> | Transaction<LocalDatabase>;

/** Runs `fn` in a new transaction, or inside the caller's when `db` already is one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return (db as Kysely<LocalDatabase>).transaction().execute(fn);
}
