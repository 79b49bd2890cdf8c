// Permission rows: (agent, connector, action pattern) → decision, per gateway. Every change bumps
// the gateway's configuration version and appends its audit event in the same transaction.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { bumpConfigVersion } from '../gateways/gateway-store.js';

export type PermissionRow = Selectable<LocalDatabase['permissions']>;
type Database = Kysely<LocalDatabase>;

export interface PermissionInput {
  agent: string;
  connector: string;
  action: string;
  decision: string;
}

/** Both must exist on the same gateway; returns that gateway and the connector's type. */
async function target(trx: Transaction<LocalDatabase>, agent: string, connector: string) {
  const a = await trx
    .selectFrom('agents')
    .select(['gateway_id'])
    .where('name', '=', agent)
    .executeTakeFirst();
  if (!a) throw new AppError('not_found', `no agent named ${agent}`);
  const c = await trx
    .selectFrom('connectors')
    .select(['type'])
    .where('name', '=', connector)
    .where('gateway_id', '=', a.gateway_id)
    .executeTakeFirst();
  if (!c) throw new AppError('not_found', `no connector named ${connector} on the agent's gateway`);
  return { gatewayId: a.gateway_id, type: c.type };
}

async function upsert(trx: Transaction<LocalDatabase>, gatewayId: string, p: PermissionInput, now: Date) {
  await trx
    .insertInto('permissions')
    .values({
      gateway_id: gatewayId,
      agent: p.agent,
      connector: p.connector,
      action_pattern: p.action,
      decision: p.decision,
      created_at: now.toISOString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['gateway_id', 'agent', 'connector', 'action_pattern'])
        .doUpdateSet({ decision: p.decision }),
    )
    .execute();
  return trx
    .selectFrom('permissions')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .where('agent', '=', p.agent)
    .where('connector', '=', p.connector)
    .where('action_pattern', '=', p.action)
    .executeTakeFirstOrThrow();
}

/** Sets one permission (replacing the decision of an identical pattern). */
export async function setPermission(
  db: Database,
  p: PermissionInput,
  ctx: { actor: string; now: Date },
): Promise<{ row: PermissionRow; gatewayId: string }> {
  return db.transaction().execute(async (trx) => {
    const t = await target(trx, p.agent, p.connector);
    const row = await upsert(trx, t.gatewayId, p, ctx.now);
    await bumpConfigVersion(trx, t.gatewayId);
    await appendAuditEvent(trx, {
      type: 'permission.set',
      actor: ctx.actor,
      subject: `agent:${p.agent}`,
      details: { id: row.id, connector: p.connector, action: p.action, decision: p.decision },
    });
    return { row, gatewayId: t.gatewayId };
  });
}

export async function listPermissions(db: Database, agent: string | undefined): Promise<PermissionRow[]> {
  let q = db.selectFrom('permissions').selectAll().orderBy('agent').orderBy('connector').orderBy('id');
  if (agent) q = q.where('agent', '=', agent);
  return q.execute();
}

/** Removes a permission by id; returns its gateway's id. */
export async function removePermission(db: Database, id: number, actor: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const p = await trx.selectFrom('permissions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!p) throw new AppError('not_found', `no permission #${id}`);
    await trx.deleteFrom('permissions').where('id', '=', id).execute();
    await bumpConfigVersion(trx, p.gateway_id);
    await appendAuditEvent(trx, {
      type: 'permission.removed',
      actor,
      subject: `agent:${p.agent}`,
      details: { id, connector: p.connector, action: p.action_pattern, decision: p.decision },
    });
    return p.gateway_id;
  });
}

/**
 * Replaces what the agent had on this connector with the rules `rulesFor(connectorType)` gives, so
 * the result is exactly the preset.
 */
export async function replacePermissions(
  db: Database,
  scope: { agent: string; connector: string; preset: string },
  rulesFor: (connectorType: string) => readonly { action: string; decision: string }[],
  ctx: { actor: string; now: Date },
): Promise<{ rows: PermissionRow[]; gatewayId: string }> {
  const { agent, connector, preset } = scope;
  return db.transaction().execute(async (trx) => {
    const t = await target(trx, agent, connector);
    await trx
      .deleteFrom('permissions')
      .where('gateway_id', '=', t.gatewayId)
      .where('agent', '=', agent)
      .where('connector', '=', connector)
      .execute();
    const rows: PermissionRow[] = [];
    for (const r of rulesFor(t.type))
      rows.push(
        await upsert(trx, t.gatewayId, { agent, connector, action: r.action, decision: r.decision }, ctx.now),
      );
    await bumpConfigVersion(trx, t.gatewayId);
    await appendAuditEvent(trx, {
      type: 'permission.preset_applied',
      actor: ctx.actor,
      subject: `agent:${agent}`,
      details: { connector, preset, rules: rows.length },
    });
    return { rows, gatewayId: t.gatewayId };
  });
}
