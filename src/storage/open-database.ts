// Opening SQLite files: one place that sets the pragmas every database here relies on.
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Migration } from '../../migrations/index.js';
import { runMigrations } from './migrate.js';

export interface OpenedDatabase<Schema> {
  /** The raw handle, for hot-path prepared statements (traffic log, outbox). */
  readonly raw: Database.Database;
  readonly db: Kysely<Schema>;
  readonly path: string;
  close(): Promise<void>;
}

export function openSqlite(path: string): Database.Database {
  const raw = new Database(path);
  // Takes effect on a new file only (before its first table): space freed by retention is given back
  // in small steps (incremental_vacuum) instead of a full VACUUM. Older files: daemon/upkeep/.
  raw.pragma('auto_vacuum = INCREMENTAL');
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  return raw;
}

/** Opens (creating if needed) a database file and brings its schema up to date. */
export async function openDatabase<Schema>(
  path: string,
  migrations: readonly Migration[],
): Promise<OpenedDatabase<Schema>> {
  const raw = openSqlite(path);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    await runMigrations(db, migrations);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    raw,
    db,
    path,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes the better-sqlite3 handle too
    },
  };
}
