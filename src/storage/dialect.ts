// Which SQL dialect a kysely handle speaks. Stores stay dialect-neutral where kysely's builder is;
// the few places that need engine-specific SQL (JSON paths, the audit chain's lock, AUTOINCREMENT
// bookkeeping) ask here instead of being handed a flag through every call.
import { type Kysely, PostgresAdapter } from 'kysely';

export type DatabaseKind = 'sqlite' | 'postgres';

// biome-ignore lint/suspicious/noExplicitAny: works for any schema and for transactions
export function databaseKind(db: Kysely<any>): DatabaseKind {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

// biome-ignore lint/suspicious/noExplicitAny: works for any schema and for transactions
export function isPostgres(db: Kysely<any>): boolean {
  return databaseKind(db) === 'postgres';
}
