// Single-use nonces of decision tokens. A nonce is burnt by inserting it: the primary key makes the
// second use fail inside the database, so two gateways (or a gateway and the SDK's execute) racing
// with one token cannot both win. Rows older than 24 hours are purged by the maintenance job; tokens
// live minutes, so a purged nonce belongs to a token long expired.
import type { Db } from '../control/db.js';

/** True when this call burnt the nonce; false when it was used before. */
export async function burnNonce(db: Db, nonce: string, now: Date): Promise<boolean> {
  const res = await db
    .insertInto('used_nonces')
    .values({ nonce, used_at: now.toISOString() })
    .onConflict((oc) => oc.column('nonce').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function nonceUsed(db: Db, nonce: string): Promise<boolean> {
  return (
    (await db.selectFrom('used_nonces').select('nonce').where('nonce', '=', nonce).executeTakeFirst()) !==
    undefined
  );
}
