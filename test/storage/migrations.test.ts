import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_MIGRATIONS, LOCAL_MIGRATIONS, type Migration } from '../../migrations/index.js';
import { MigrationError } from '../../src/storage/migrate.js';
import { openDatabase } from '../../src/storage/open-database.js';

const dirs: string[] = [];
const file = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), 'tf-mig-'));
  dirs.push(d);
  return join(d, name);
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tables = (path: string) =>
  (
    new Database(path, { readonly: true })
      .prepare("select name from sqlite_master where type='table' order by name")
      .all() as {
      name: string;
    }[]
  ).map((r) => r.name);

describe('migrations', () => {
  it('create the seed tables on an empty database and do nothing the second time', async () => {
    const g = file('gateway.db');
    const first = await openDatabase(g, GATEWAY_MIGRATIONS);
    await first.close();
    expect(tables(g)).toEqual(
      expect.arrayContaining(['traffic_log', 'outbox', 'vault_credentials', 'schema_migrations']),
    );
    const l = file('local.db');
    await (await openDatabase(l, LOCAL_MIGRATIONS)).close();
    expect(tables(l)).toEqual(expect.arrayContaining(['audit_events', 'users', 'agents', 'policies']));
    const again = await openDatabase(g, GATEWAY_MIGRATIONS);
    const applied = again.raw.prepare('select name from schema_migrations').all();
    expect(applied).toEqual(GATEWAY_MIGRATIONS.map((m) => ({ name: m.name })));
    await again.close();
  });

  it('apply only the new ones to an existing database, keeping its data', async () => {
    const g = file('gateway.db');
    const db = await openDatabase(g, GATEWAY_MIGRATIONS);
    db.raw.prepare("insert into gateway_meta (key, value) values ('kept', 'yes')").run();
    await db.close();
    const next: Migration = {
      name: '9999_test_add_table',
      async up(k) {
        await k.schema.createTable('extra').addColumn('id', 'integer').execute();
      },
    };
    const upgraded = await openDatabase(g, [...GATEWAY_MIGRATIONS, next]);
    expect(upgraded.raw.prepare("select value from gateway_meta where key='kept'").get()).toEqual({
      value: 'yes',
    });
    expect(tables(g)).toContain('extra');
    await upgraded.close();
  });

  it('leave no partial schema when a migration fails', async () => {
    const g = file('gateway.db');
    const broken: Migration = {
      name: '9999_broken',
      async up(k) {
        await k.schema.createTable('half_done').addColumn('id', 'integer').execute();
        await sql`this is not sql`.execute(k);
      },
    };
    await expect(openDatabase(g, [...GATEWAY_MIGRATIONS, broken])).rejects.toThrow(MigrationError);
    expect(tables(g)).not.toContain('half_done');
    const names = new Database(g, { readonly: true }).prepare('select name from schema_migrations').all();
    expect(names).toEqual(GATEWAY_MIGRATIONS.map((m) => ({ name: m.name })));
  });

  it('refuse a database migrated by a newer version', async () => {
    const g = file('gateway.db');
    const future: Migration = { name: '9999_future', async up() {} };
    await (await openDatabase(g, [...GATEWAY_MIGRATIONS, future])).close();
    await expect(openDatabase(g, GATEWAY_MIGRATIONS)).rejects.toThrow(/migrated by a newer version/);
  });

  it('use WAL with synchronous=NORMAL and foreign keys', async () => {
    const db = await openDatabase(file('local.db'), LOCAL_MIGRATIONS);
    expect(db.raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.raw.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.raw.pragma('foreign_keys', { simple: true })).toBe(1);
    await db.close();
  });
});
