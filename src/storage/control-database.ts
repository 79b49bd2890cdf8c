// The control plane's database: the data directory's local.db (SQLite, the default) or a
// PostgreSQL server named by TAMEFLARE_DATABASE_URL, so that several control-plane processes can
// share one state. Both are migrated at open (each dialect has its own registered set, kept in step
// by test/postgres/schema-parity.test.ts). The gateway's gateway.db is always SQLite: it must run
// with every other component down.
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { LOCAL_MIGRATIONS } from '../../migrations/index.js';
import type { Secret } from '../config/secret.js';
import { type ChangeFeed, localChangeFeed } from './change-feed.js';
import type { DatabaseKind } from './dialect.js';
import type { LocalDatabase } from './local-schema.js';
import { openDatabase } from './open-database.js';
import { openPostgres } from './open-postgres.js';

export interface ControlDatabase {
  readonly kind: DatabaseKind;
  readonly db: Kysely<LocalDatabase>;
  /** SQLite only: the raw handle, for statements prepared once on the hot path. */
  readonly raw: Database.Database | undefined;
  /** Where the data is, safe to show: the file's path, or the server's URL without credentials. */
  readonly location: string;
  /** Changes made by one process, told to the others on the same database (see ./change-feed.ts). */
  readonly feed: ChangeFeed;
  /**
   * Runs `work` while no other process sharing this database runs its own (PostgreSQL: a session
   * advisory lock on one pooled connection, which `work` gets); SQLite's single writer needs none.
   * For start-up steps such as creating the first owner.
   */
  exclusive<T>(work: (db: Kysely<LocalDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openControlDatabase(where: {
  localDbPath: string;
  databaseUrl: Secret | undefined;
  /** Where the change feed's connection troubles are reported (PostgreSQL). */
  onFeedError?: ((err: unknown, what: string) => void) | undefined;
}): Promise<ControlDatabase> {
  if (where.databaseUrl) return openPostgres(where.databaseUrl.reveal(), where.onFeedError);
  const opened = await openDatabase<LocalDatabase>(where.localDbPath, LOCAL_MIGRATIONS);
  return {
    kind: 'sqlite',
    db: opened.db,
    raw: opened.raw,
    location: opened.path,
    feed: localChangeFeed,
    exclusive: (work) => work(opened.db),
    close: () => opened.close(),
  };
}
