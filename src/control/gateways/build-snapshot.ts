// Builds the configuration snapshot a gateway runs from. Only hashes of keys and metadata of
// connectors leave the control plane; credentials never pass through it.
import type { AuthScheme, ConnectorOptions } from '../../connectors/types.js';
import type { PolicyDocument, RateLimitRule } from '../../decide/policy-types.js';
import type { KillSwitchEntry, KillSwitchScope, PermissionRule, Verdict } from '../../decide/types.js';
import type { GatewayConfigSnapshot, SnapshotAgent } from '../../sync/snapshot.js';
import type { Db } from '../db.js';
import { storedTrafficRetention } from '../settings/retention-store.js';

export async function buildSnapshot(db: Db, gatewayId: string, now: Date): Promise<GatewayConfigSnapshot> {
  const gw = await db
    .selectFrom('gateways')
    .select('config_version')
    .where('id', '=', gatewayId)
    .executeTakeFirstOrThrow();
  const agents = await db
    .selectFrom('agents')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .orderBy('name')
    .execute();
  const nowIso = now.toISOString();
  const sessionKeys = await db
    .selectFrom('agent_session_keys')
    .innerJoin('agents', 'agents.id', 'agent_session_keys.agent_id')
    .select([
      'agent_session_keys.id',
      'agent_session_keys.agent_id',
      'agent_session_keys.key_hash',
      'agent_session_keys.expires_at',
    ])
    .where('agents.gateway_id', '=', gatewayId)
    .where('agent_session_keys.revoked_at', 'is', null)
    .where('agent_session_keys.expires_at', '>', nowIso)
    .execute();
  const connectors = await db
    .selectFrom('connectors')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .orderBy('name')
    .execute();
  const permissions = await db
    .selectFrom('permissions')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .orderBy('id')
    .execute();
  const policies = await db.selectFrom('policies').select(['document']).orderBy('name').execute();
  const rateLimits = await db.selectFrom('rate_limits').selectAll().orderBy('id').execute();
  const kill = await db.selectFrom('kill_switch').selectAll().orderBy('scope').execute();
  const trafficDays = await storedTrafficRetention(db);

  const snapshotAgents: SnapshotAgent[] = agents.map((a) => ({
    id: a.id,
    name: a.name,
    port: a.port,
    mode: a.mode === 'monitor' ? 'monitor' : 'enforce',
    labels: JSON.parse(a.labels) as Record<string, string>,
    proxyAuth: a.proxy_auth === 1,
    status: a.status === 'suspended' ? 'suspended' : 'active',
    keys: [
      { id: `${a.id}:agent`, kind: 'agent', hash: a.key_hash, expiresAt: null },
      ...sessionKeys
        .filter((k) => k.agent_id === a.id)
        .map((k) => ({ id: k.id, kind: 'session' as const, hash: k.key_hash, expiresAt: k.expires_at })),
    ],
  }));
  return {
    version: gw.config_version,
    generatedAt: nowIso,
    agents: snapshotAgents,
    connectors: connectors.map((c) => ({
      id: c.id,
      name: c.name,
      type: c.type,
      domains: JSON.parse(c.domains) as string[],
      auth: c.auth as AuthScheme,
      intercept: c.intercept === 1,
      ...(c.allow_cleartext === 1 ? { allowCleartext: true } : {}),
      options: {
        ...(JSON.parse(c.options) as ConnectorOptions),
        ...(c.base_url ? { baseUrl: c.base_url } : {}),
      },
    })),
    permissions: permissions.map(
      (p): PermissionRule => ({
        id: String(p.id),
        agent: p.agent,
        connector: p.connector,
        action: p.action_pattern,
        decision: p.decision as Verdict,
      }),
    ),
    policies: policies.map((p) => JSON.parse(p.document) as PolicyDocument),
    rateLimits: rateLimits.map(
      (r): RateLimitRule => ({
        id: r.id,
        agent: r.agent,
        connector: r.connector ?? undefined,
        action: r.action ?? undefined,
        rate: r.rate,
        burst: r.burst,
      }),
    ),
    killSwitch: kill.map(
      (k): KillSwitchEntry => ({
        scope: k.scope as KillSwitchScope,
        reason: k.reason ?? undefined,
        activatedAt: k.activated_at,
      }),
    ),
    ...(trafficDays === null ? {} : { retention: { trafficDays } }),
  };
}
