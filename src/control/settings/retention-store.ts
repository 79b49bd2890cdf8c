// The traffic-log retention set from the control plane: one value for every gateway, kept in the
// `settings` table and sent with each gateway's configuration snapshot. A gateway whose own flag,
// environment or config.yaml sets the retention keeps that (src/daemon/create-context.ts); the value
// here replaces only the built-in default.

import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Db } from '../db.js';
import { bumpAllConfigVersions } from '../gateways/gateway-store.js';

const KEY = 'retention.traffic_days';

export async function storedTrafficRetention(db: Db): Promise<number | null> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  const days = row ? Number(row.value) : Number.NaN;
  return Number.isInteger(days) && days >= 0 ? days : null;
}

/** Sets (or, with null, clears) the value; returns the ids of the gateways to notify. */
export async function setTrafficRetention(
  db: Kysely<LocalDatabase>,
  days: number | null,
  actor: string,
): Promise<{ previous: number | null; gatewayIds: string[] }> {
  return db.transaction().execute(async (trx) => {
    const previous = await storedTrafficRetention(trx);
    if (days === null) await trx.deleteFrom('settings').where('key', '=', KEY).execute();
    else
      await trx
        .insertInto('settings')
        .values({ key: KEY, value: String(days) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(days) }))
        .execute();
    await appendAuditEvent(trx, {
      type: 'settings.retention_changed',
      actor,
      subject: 'traffic_log',
      details: { from: previous, to: days },
    });
    return { previous, gatewayIds: await bumpAllConfigVersions(trx) };
  });
}
