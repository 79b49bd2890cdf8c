// Kill switch entries a gateway activated on its own (POST /internal/kill-switch on the gateway,
// typically while its control plane was down). The gateway reports its whole local list whenever its
// link comes back; the control plane keeps the latest list per gateway, shows it beside its own
// entries, and records each change in the audit log.
import { appendAuditEvent } from '../../audit/ledger.js';
import { type Db, inTransaction } from '../db.js';

export interface ReportedEntry {
  scope: string;
  reason: string | null;
  activatedAt: string;
}

/** Replaces a gateway's reported list; returns the entries that are new since its last report. */
export async function replaceReportedKillSwitch(
  db: Db,
  gateway: { id: string; name: string },
  entries: readonly ReportedEntry[],
  now: Date,
): Promise<ReportedEntry[]> {
  return inTransaction(db, async (trx) => {
    const before = await trx
      .selectFrom('gateway_kill_switch')
      .select('scope')
      .where('gateway_id', '=', gateway.id)
      .execute();
    const known = new Set(before.map((r) => r.scope));
    const fresh = entries.filter((e) => !known.has(e.scope));
    const gone = [...known].filter((s) => !entries.some((e) => e.scope === s));
    await trx.deleteFrom('gateway_kill_switch').where('gateway_id', '=', gateway.id).execute();
    if (entries.length > 0) {
      await trx
        .insertInto('gateway_kill_switch')
        .values(
          entries.map((e) => ({
            gateway_id: gateway.id,
            scope: e.scope,
            reason: e.reason,
            activated_at: e.activatedAt,
            reported_at: now.toISOString(),
          })),
        )
        .execute();
    }
    if (fresh.length > 0 || gone.length > 0) {
      await appendAuditEvent(trx, {
        type: 'kill_switch.reported',
        actor: `gateway:${gateway.name}`,
        subject: gateway.name,
        details: {
          gateway: gateway.name,
          active: entries.map((e) => ({ scope: e.scope, reason: e.reason, activated_at: e.activatedAt })),
          added: fresh.map((e) => e.scope),
          removed: gone,
        },
        createdAt: now.toISOString(),
      });
    }
    return fresh;
  });
}

export async function reportedKillSwitches(db: Db) {
  return db
    .selectFrom('gateway_kill_switch')
    .innerJoin('gateways', 'gateways.id', 'gateway_kill_switch.gateway_id')
    .select([
      'gateways.name as gateway',
      'gateway_kill_switch.scope',
      'gateway_kill_switch.reason',
      'gateway_kill_switch.activated_at',
      'gateway_kill_switch.reported_at',
    ])
    .orderBy('gateways.name')
    .orderBy('gateway_kill_switch.scope')
    .execute();
}
