// Opening the control plane's PostgreSQL database: a connection pool for kysely's PostgresDialect,
// and the PostgreSQL migration set applied under a session advisory lock, so that control-plane
// processes starting together migrate once, one after the other.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { POSTGRES_LOCAL_MIGRATIONS } from '../../migrations/index.js';
import { describeDatabaseUrl } from '../config/database-url.js';
import { type ChangeFeed, feedChannel, postgresChangeFeed } from './change-feed.js';
import type { LocalDatabase } from './local-schema.js';
import { runMigrations } from './migrate.js';

/** Key of the advisory lock held while migrating ("tfmg" in ASCII). */
const MIGRATION_LOCK = 0x74666d67;
/** Key of the advisory lock of exclusive() ("tfex"). */
const EXCLUSIVE_LOCK = 0x74666578;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export class DatabaseUnavailableError extends Error {
  constructor(where: string, cause: unknown) {
    super(`cannot use the database ${where}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'DatabaseUnavailableError';
  }
}

export interface OpenedPostgres {
  readonly kind: 'postgres';
  readonly db: Kysely<LocalDatabase>;
  readonly raw: undefined;
  readonly location: string;
  readonly feed: ChangeFeed;
  exclusive<T>(work: (db: Kysely<LocalDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openPostgres(
  url: string,
  onFeedError?: (err: unknown, what: string) => void,
): Promise<OpenedPostgres> {
  const location = describeDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // An unreachable server must fail a request (and /health) in seconds, not hang it.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // Counts and sums come back as int8/numeric, which pg hands over as strings; the stores expect
    // numbers as better-sqlite3 gives them (ids and counts stay far below 2^53).
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A connection that dies while idle (server restart) is reported here; without a listener the
  // pool's error would end the process. The next query opens a fresh connection.
  pool.on('error', () => {});
  // A connection that dies while checked out but between queries (the server stopped during a
  // transaction) emits 'error' on its client, where the pool listens only while it is idle: without
  // this the process would end. The error also fails the client's queries, and the pool drops it on
  // release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<LocalDatabase>({ dialect: new PostgresDialect({ pool }) });
  let schema: string;
  try {
    await underLock(db, MIGRATION_LOCK, (conn) => runMigrations(conn, POSTGRES_LOCAL_MIGRATIONS));
    const row = await sql<{ s: string }>`select current_schema() as s`.execute(db);
    schema = row.rows[0]?.s ?? 'public';
  } catch (err) {
    await db.destroy();
    if (err instanceof Error && err.name === 'MigrationError') throw err;
    throw new DatabaseUnavailableError(location, err);
  }
  const feed = postgresChangeFeed({
    db,
    connectionString: url,
    channel: feedChannel(schema),
    onError: onFeedError,
  });
  let closed = false;
  return {
    kind: 'postgres',
    db,
    raw: undefined,
    location,
    feed,
    exclusive: (work) => underLock(db, EXCLUSIVE_LOCK, work),
    async close() {
      if (closed) return;
      closed = true;
      await feed.close();
      await db.destroy(); // ends the pool
    },
  };
}

/** Runs `work` on one pooled connection holding a session advisory lock, released even on failure. */
function underLock<T>(
  db: Kysely<LocalDatabase>,
  key: number,
  work: (conn: Kysely<LocalDatabase>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${sql.lit(key)})`.execute(conn);
    try {
      return await work(conn);
    } finally {
      await sql`select pg_advisory_unlock(${sql.lit(key)})`.execute(conn);
    }
  });
}
