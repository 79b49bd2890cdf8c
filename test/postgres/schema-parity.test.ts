// The two migration sets of the control plane's database (migrations/local for SQLite,
// migrations/postgres for PostgreSQL) must describe one schema: same tables, columns (type, null,
// default, primary key), unique constraints, indexes and foreign keys, compared through SQLite's
// pragmas and PostgreSQL's catalog. A helper who adds a local migration without its PostgreSQL twin
// (or with a different column) fails here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_MIGRATIONS, POSTGRES_LOCAL_MIGRATIONS } from '../../migrations/index.js';
import { openDatabase } from '../../src/storage/open-database.js';
import { openPostgres } from '../../src/storage/open-postgres.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres-schema.js';

interface Schema {
  /** table → column → "type notnull default pk" */
  columns: Record<string, Record<string, string>>;
  /** "table(col,col)" of every unique constraint and primary key */
  keys: string[];
  /** "name table(col,col) unique?" of every index made by CREATE INDEX */
  indexes: string[];
  /** "table(col) → table(col) on delete X" */
  foreignKeys: string[];
}

let dir: string;
let schema: TestSchema | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-parity-'));
});
afterAll(async () => {
  await schema?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const normDefault = (d: string | null) =>
  d === null ? 'null' : d.replace(/::[a-z ]+$/, '').replace(/^'(.*)'$/, '$1');
const IGNORED_TABLES = new Set(['sqlite_sequence', 'schema_migrations']);

function sqliteSchema(raw: Database.Database): Schema {
  const s: Schema = { columns: {}, keys: [], indexes: [], foreignKeys: [] };
  const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").all() as {
    name: string;
  }[];
  for (const { name: table } of tables) {
    if (IGNORED_TABLES.has(table)) continue;
    const cols = raw.prepare(`pragma table_info(${table})`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[];
    s.columns[table] = Object.fromEntries(
      cols.map((c) => [
        c.name,
        `${c.type.toLowerCase()} ${c.notnull || c.pk ? 'not null' : 'null'} ${normDefault(c.dflt_value)} ${c.pk ? 'pk' : ''}`,
      ]),
    );
    const pk = cols.filter((c) => c.pk).sort((a, b) => a.pk - b.pk);
    if (pk.length) s.keys.push(`${table}(${pk.map((c) => c.name).join(',')})`);
    const indexes = raw.prepare(`pragma index_list(${table})`).all() as {
      name: string;
      unique: number;
      origin: string;
    }[];
    for (const ix of indexes) {
      const on = (raw.prepare(`pragma index_info(${ix.name})`).all() as { name: string }[]).map(
        (c) => c.name,
      );
      if (ix.origin === 'u' || ix.origin === 'pk') s.keys.push(`${table}(${on.join(',')})`);
      else s.indexes.push(`${ix.name} ${table}(${on.join(',')})${ix.unique ? ' unique' : ''}`);
    }
    const fks = raw.prepare(`pragma foreign_key_list(${table})`).all() as {
      table: string;
      from: string;
      to: string;
      on_delete: string;
    }[];
    for (const fk of fks)
      s.foreignKeys.push(
        `${table}(${fk.from}) → ${fk.table}(${fk.to}) on delete ${fk.on_delete.toLowerCase()}`,
      );
  }
  return sort(s);
}

async function postgresSchema(client: pg.Client, name: string): Promise<Schema> {
  const s: Schema = { columns: {}, keys: [], indexes: [], foreignKeys: [] };
  const pkCols = new Set(
    (
      await client.query(
        `select kcu.table_name, kcu.column_name from information_schema.table_constraints tc
         join information_schema.key_column_usage kcu
           on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
         where tc.table_schema = $1 and tc.constraint_type = 'PRIMARY KEY'`,
        [name],
      )
    ).rows.map((r) => `${r.table_name}.${r.column_name}`),
  );
  const cols = await client.query(
    `select table_name, column_name, data_type, is_nullable, column_default
     from information_schema.columns where table_schema = $1 order by table_name, ordinal_position`,
    [name],
  );
  for (const c of cols.rows) {
    if (IGNORED_TABLES.has(c.table_name)) continue;
    s.columns[c.table_name] ??= {};
    const pk = pkCols.has(`${c.table_name}.${c.column_name}`);
    s.columns[c.table_name]![c.column_name] =
      `${c.data_type} ${c.is_nullable === 'NO' ? 'not null' : 'null'} ${normDefault(c.column_default)} ${pk ? 'pk' : ''}`;
  }
  const ixs = await client.query(
    `select t.relname as table_name, i.relname as index_name, ix.indisunique as is_unique,
            exists (select 1 from pg_constraint k where k.conindid = ix.indexrelid) as is_constraint,
            array_to_string(array(select a.attname from unnest(ix.indkey) with ordinality as k(attnum, n)
                  join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n), ',') as columns
     from pg_index ix
     join pg_class t on t.oid = ix.indrelid
     join pg_class i on i.oid = ix.indexrelid
     join pg_namespace ns on ns.oid = t.relnamespace
     where ns.nspname = $1`,
    [name],
  );
  for (const ix of ixs.rows) {
    if (IGNORED_TABLES.has(ix.table_name)) continue;
    const on = `${ix.table_name}(${ix.columns})`;
    if (ix.is_constraint) s.keys.push(on);
    else s.indexes.push(`${ix.index_name} ${on}${ix.is_unique ? ' unique' : ''}`);
  }
  const fks = await client.query(
    `select src.relname as table_name, a.attname as from_col, dst.relname as to_table, b.attname as to_col,
            k.confdeltype as on_delete
     from pg_constraint k
     join pg_class src on src.oid = k.conrelid
     join pg_class dst on dst.oid = k.confrelid
     join pg_namespace ns on ns.oid = src.relnamespace
     join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
     join pg_attribute b on b.attrelid = k.confrelid and b.attnum = k.confkey[1]
     where k.contype = 'f' and ns.nspname = $1`,
    [name],
  );
  const actions: Record<string, string> = {
    a: 'no action',
    r: 'restrict',
    c: 'cascade',
    n: 'set null',
    d: 'set default',
  };
  for (const fk of fks.rows) {
    s.foreignKeys.push(
      `${fk.table_name}(${fk.from_col}) → ${fk.to_table}(${fk.to_col}) on delete ${actions[fk.on_delete]}`,
    );
  }
  return sort(s);
}

function sort(s: Schema): Schema {
  return {
    ...s,
    keys: [...new Set(s.keys)].sort(),
    indexes: [...s.indexes].sort(),
    foreignKeys: [...s.foreignKeys].sort(),
  };
}

describe('control-plane schema on SQLite and PostgreSQL', () => {
  it('has one PostgreSQL migration per local migration, under the same name and in the same order', () => {
    expect(POSTGRES_LOCAL_MIGRATIONS.map((m) => m.name)).toEqual(LOCAL_MIGRATIONS.map((m) => m.name));
  });

  it('has the same tables, columns, keys, indexes and foreign keys after all migrations', async () => {
    const local = await openDatabase(join(dir, 'local.db'), LOCAL_MIGRATIONS);
    const lite = sqliteSchema(local.raw);
    await local.close();

    schema = await createTestSchema(inject('postgresUrl'));
    await (await openPostgres(schema.url)).close();
    const client = new pg.Client({ connectionString: inject('postgresUrl') });
    await client.connect();
    let post: Schema;
    try {
      post = await postgresSchema(client, schema.name);
    } finally {
      await client.end();
    }
    // Spelling differences of the two engines, mapped once: SQLite declares `integer`, and so do we.
    expect(post).toEqual(lite);
    expect(Object.keys(lite.columns)).toContain('audit_events');
  });
});
