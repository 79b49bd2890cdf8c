// One PostgreSQL schema per test harness on the shared test server: created empty, named in the URL
// (search_path), dropped at the end. Cheaper than a database each, and just as separate.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestSchema {
  /** The server URL with this schema as its search_path: what TAMEFLARE_DATABASE_URL is set to. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

export async function createTestSchema(serverUrl: string): Promise<TestSchema> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`create schema ${name}`));
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: url.toString(),
    name,
    drop: () => withClient(serverUrl, (c) => c.query(`drop schema if exists ${name} cascade`)).then(() => {}),
  };
}

async function withClient<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

const schemaOfDataDir = new Map<string, Promise<TestSchema>>();

/**
 * In the `postgres` test project, the environment that puts a control plane started on `dataDir` on
 * a PostgreSQL schema of that data directory's own (the same schema each time it starts there, so a
 * restart finds its state); in every other project nothing, and the control plane uses local.db.
 */
export async function testDatabaseEnv(dataDir: string): Promise<Record<string, string>> {
  const server = inject('postgresUrl');
  if (!server) return {};
  let schema = schemaOfDataDir.get(dataDir);
  if (!schema) {
    schema = createTestSchema(server);
    schemaOfDataDir.set(dataDir, schema);
  }
  return { TAMEFLARE_DATABASE_URL: (await schema).url };
}

/** Drops the schema testDatabaseEnv made for `dataDir`, if any. */
export async function dropTestDatabase(dataDir: string): Promise<void> {
  const schema = schemaOfDataDir.get(dataDir);
  schemaOfDataDir.delete(dataDir);
  await (await schema)?.drop().catch(() => undefined);
}
