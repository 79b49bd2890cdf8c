import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';

/** Whether the database answers a trivial query. */
export async function databaseAnswers(db: Kysely<LocalDatabase>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
