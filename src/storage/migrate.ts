// A small migration runner. Kysely's own Migrator runs SQLite migrations outside a transaction, so a
// failing migration could leave half a schema; here each migration and its bookkeeping row commit
// together or not at all.
import type { Kysely } from 'kysely';
import type { Migration } from '../../migrations/index.js';

export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

export async function runMigrations<S>(db: Kysely<S>, migrations: readonly Migration[]): Promise<string[]> {
  // biome-ignore lint/suspicious/noExplicitAny: the bookkeeping table is not part of the typed schema
  const any = db as unknown as Kysely<any>;
  await any.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const done = new Set(
    (await any.selectFrom('schema_migrations').select('name').execute()).map((r) => r.name as string),
  );
  const known = new Set(migrations.map((m) => m.name));
  for (const name of done) {
    if (!known.has(name)) {
      throw new MigrationError(name, new Error('the database was migrated by a newer version of tameflare'));
    }
  }
  const applied: string[] = [];
  for (const migration of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    if (done.has(migration.name)) continue;
    try {
      await any.transaction().execute(async (trx) => {
        await migration.up(trx);
        await trx
          .insertInto('schema_migrations')
          .values({ name: migration.name, applied_at: new Date().toISOString() })
          .execute();
      });
    } catch (err) {
      throw new MigrationError(migration.name, err);
    }
    applied.push(migration.name);
  }
  return applied;
}
