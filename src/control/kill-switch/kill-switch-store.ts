// Kill-switch rows (one per active scope). The kill switch reaches every gateway, so each change
// bumps every configuration version; the ids of the gateways to notify are returned.
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { bumpAllConfigVersions } from '../gateways/gateway-store.js';

type Database = Kysely<LocalDatabase>;

export async function activeKillSwitches(db: Database) {
  return db.selectFrom('kill_switch').selectAll().orderBy('activated_at').execute();
}

export async function activateKillSwitch(
  db: Database,
  scope: string,
  reason: string | null,
  ctx: { actor: string; now: Date },
): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('kill_switch')
      .values({ scope, reason, activated_by: ctx.actor, activated_at: ctx.now.toISOString() })
      .onConflict((oc) => oc.column('scope').doUpdateSet({ reason, activated_by: ctx.actor }))
      .execute();
    await appendAuditEvent(trx, {
      type: 'kill_switch.activated',
      actor: ctx.actor,
      subject: scope,
      details: { reason },
    });
    return bumpAllConfigVersions(trx);
  });
}

/** Deactivates one scope (not found when it is not active) or, without a scope, all of them. */
export async function deactivateKillSwitch(
  db: Database,
  scope: string | undefined,
  actor: string,
): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    let q = trx.deleteFrom('kill_switch');
    if (scope) q = q.where('scope', '=', scope);
    const res = await q.executeTakeFirst();
    if (scope && Number(res.numDeletedRows) === 0)
      throw new AppError('not_found', `the kill switch is not active for ${scope}`);
    await appendAuditEvent(trx, { type: 'kill_switch.deactivated', actor, subject: scope ?? 'all scopes' });
    return bumpAllConfigVersions(trx);
  });
}
