// Runs a configuration plan inside the caller's transaction: deletions first (freeing names and
// ports), then agents and connectors, then what refers to them. Every change writes the same audit
// event its API route writes, and the whole apply one `config.applied` event; if anything throws, the
// transaction rolls all of it back.

import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { type PortProbe, type PortRange, pickAgentPort, rangeText } from '../agents/agent-ports.js';
import { portsInUse } from '../agents/agent-store.js';
import { generateSecretToken, hashToken, randomId } from '../auth/secret-tokens.js';
import type { Db } from '../db.js';
import { bumpAllConfigVersions, findGateway } from '../gateways/gateway-store.js';
import { deletePolicy, savePolicy } from '../policies/policy-store.js';
import { removeRateLimit, setRateLimit } from '../rate-limits/rate-limit-store.js';
import type { LiveConfig } from './config-document.js';
import { readLiveConfig } from './live-config.js';
import type { ConfigPlan } from './plan-config.js';

export interface ApplyContext {
  actor: string;
  now: Date;
  defaultGateway: string;
  /** Each gateway's registered port range (undefined: not registered, its new agents wait). */
  portRange: (gateway: string) => PortRange | undefined;
  /** Ports each gateway's host can bind (asked before the transaction), when known. */
  probes: ReadonlyMap<string, PortProbe | undefined>;
  prune: boolean;
}

export interface ApplyOutcome {
  newAgentKeys: Record<string, string>;
  /** Gateways whose configuration version was bumped (to notify after commit). */
  gatewayIds: string[];
}

/**
 * Plans against the live state and applies the plan in one transaction, so nothing can change in
 * between. `planFor` throws to refuse (nothing is written then).
 */
export async function planAndApply<T extends { plan: ConfigPlan }>(
  db: Kysely<LocalDatabase>,
  planFor: (live: LiveConfig) => T,
  ctx: ApplyContext,
): Promise<T & { outcome: ApplyOutcome }> {
  return db.transaction().execute(async (trx) => {
    const planned = planFor(await readLiveConfig(trx));
    return { ...planned, outcome: await applyPlan(trx, planned.plan, ctx) };
  });
}

export async function applyPlan(trx: Db, plan: ConfigPlan, ctx: ApplyContext): Promise<ApplyOutcome> {
  const { actor } = ctx;
  const at = ctx.now.toISOString();
  const audit = (type: string, subject: string, details?: Record<string, unknown>) =>
    appendAuditEvent(trx, { type, actor, subject, details });

  for (const p of plan.permissions.remove) {
    await trx.deleteFrom('permissions').where('id', '=', p.id).execute();
    await audit('permission.removed', `agent:${p.agent}`, {
      id: p.id,
      connector: p.connector,
      action: p.action,
      decision: p.decision,
    });
  }
  for (const r of plan.rateLimits.remove) await removeRateLimit(trx, r.id, { actor });
  for (const p of plan.policies.remove) await deletePolicy(trx, p.name, { actor, now: ctx.now });
  for (const c of plan.connectors.remove) {
    await trx.deleteFrom('connectors').where('name', '=', c.name).execute();
    await audit('connector.removed', `connector:${c.name}`);
  }
  for (const a of plan.agents.remove) {
    await trx.deleteFrom('agents').where('name', '=', a.name).execute();
    await audit('agent.removed', `agent:${a.name}`, { port: a.port ?? null });
  }

  // Ports that change are released first, so two agents can swap ports in one apply.
  for (const u of plan.agents.update) {
    if (u.changes.port)
      await trx.updateTable('agents').set({ port: null }).where('name', '=', u.desired.name).execute();
  }
  for (const u of plan.agents.update) {
    const d = u.desired;
    await trx
      .updateTable('agents')
      .set({
        mode: d.mode,
        labels: JSON.stringify(d.labels),
        proxy_auth: d.proxy_auth ? 1 : 0,
        status: d.status,
        ...(d.port === undefined ? {} : { port: d.port }),
        updated_at: at,
      })
      .where('name', '=', d.name)
      .execute();
    await audit('agent.updated', `agent:${d.name}`, { changes: u.changes });
  }
  const newAgentKeys: Record<string, string> = {};
  for (const d of plan.agents.create) {
    const gw = await findGateway(trx, d.gateway, ctx.defaultGateway);
    const range = ctx.portRange(gw.name);
    let port: number | null = d.port ?? null;
    if (port === null && range) {
      port = pickAgentPort(await portsInUse(trx, gw.id), range, ctx.probes.get(gw.name)) ?? null;
      if (port === null)
        throw new AppError(
          'conflict',
          `gateway ${gw.name}'s agent port range ${rangeText(range)} has no free port for agent ${d.name}`,
        );
    }
    const key = generateSecretToken('tf_agent_');
    await trx
      .insertInto('agents')
      .values({
        id: randomId(),
        gateway_id: gw.id,
        name: d.name,
        port,
        mode: d.mode,
        labels: JSON.stringify(d.labels),
        proxy_auth: d.proxy_auth ? 1 : 0,
        status: d.status,
        key_hash: hashToken(key),
        created_at: at,
        updated_at: at,
      })
      .execute();
    newAgentKeys[d.name] = key;
    await audit('agent.created', `agent:${d.name}`, {
      gateway: gw.name,
      port,
      mode: d.mode,
      labels: d.labels,
      proxy_auth: d.proxy_auth,
      status: d.status,
    });
  }

  for (const u of plan.connectors.update) {
    const d = u.desired;
    await trx
      .updateTable('connectors')
      .set({
        domains: JSON.stringify(d.domains),
        auth: d.auth,
        base_url: d.base_url ?? null,
        intercept: d.intercept ? 1 : 0,
        allow_cleartext: d.allow_cleartext ? 1 : 0,
        options: JSON.stringify(d.options),
        updated_at: at,
      })
      .where('name', '=', d.name)
      .execute();
    await audit('connector.updated', `connector:${d.name}`, { changes: u.changes });
  }
  for (const d of plan.connectors.create) {
    const gw = await findGateway(trx, d.gateway, ctx.defaultGateway);
    await trx
      .insertInto('connectors')
      .values({
        id: randomId(),
        gateway_id: gw.id,
        name: d.name,
        type: d.type,
        domains: JSON.stringify(d.domains),
        auth: d.auth,
        base_url: d.base_url ?? null,
        intercept: d.intercept ? 1 : 0,
        allow_cleartext: d.allow_cleartext ? 1 : 0,
        options: JSON.stringify(d.options),
        credential_set: 0,
        credential_last4: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await audit('connector.created', `connector:${d.name}`, {
      type: d.type,
      domains: d.domains,
      auth: d.auth,
      base_url: d.base_url ?? null,
      intercept: d.intercept,
      allow_cleartext: d.allow_cleartext ?? false,
    });
  }

  for (const p of [...plan.permissions.create, ...plan.permissions.update.map((u) => u.desired)]) {
    const agent = await trx
      .selectFrom('agents')
      .select('gateway_id')
      .where('name', '=', p.agent)
      .executeTakeFirst();
    if (!agent) throw new AppError('conflict', `agent ${p.agent} disappeared during the apply`);
    await trx
      .insertInto('permissions')
      .values({
        gateway_id: agent.gateway_id,
        agent: p.agent,
        connector: p.connector,
        action_pattern: p.action,
        decision: p.decision,
        created_at: at,
      })
      .onConflict((oc) =>
        oc
          .columns(['gateway_id', 'agent', 'connector', 'action_pattern'])
          .doUpdateSet({ decision: p.decision }),
      )
      .execute();
    await audit('permission.set', `agent:${p.agent}`, {
      connector: p.connector,
      action: p.action,
      decision: p.decision,
    });
  }
  for (const doc of [...plan.policies.create, ...plan.policies.update.map((u) => u.desired)])
    await savePolicy(trx, doc, { actor, now: ctx.now });
  for (const r of [...plan.rateLimits.create, ...plan.rateLimits.update.map((u) => u.desired)])
    await setRateLimit(trx, r, { actor, now: ctx.now });

  const counts = { create: plan.create.length, update: plan.update.length, delete: plan.delete.length };
  if (counts.create + counts.update + counts.delete === 0) return { newAgentKeys, gatewayIds: [] };
  await audit('config.applied', 'config', {
    ...counts,
    unchanged: plan.unchanged,
    kept: plan.kept.length,
    prune: ctx.prune,
  });
  return { newAgentKeys, gatewayIds: await bumpAllConfigVersions(trx) };
}
