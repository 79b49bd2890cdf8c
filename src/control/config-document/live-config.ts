// The live configuration read from local.db in the document's own terms, and the export built from
// it. Keys (only their hashes are stored anyway) and credentials (never stored here) cannot leak:
// neither is read.
import { POLICY_KEYS, RULE_KEYS } from '../../decide/policy-schema.js';
import type { PolicyDocument } from '../../decide/policy-types.js';
import type { Db } from '../db.js';
import type {
  ConfigAgent,
  ConfigConnector,
  ConfigDocument,
  ConfigPermission,
  ConfigRateLimit,
  LiveConfig,
} from './config-document.js';

export async function readLiveConfig(db: Db): Promise<LiveConfig> {
  const gateways = await db.selectFrom('gateways').select(['id', 'name']).orderBy('name').execute();
  const gatewayName = new Map(gateways.map((g) => [g.id, g.name]));
  const agents = await db.selectFrom('agents').selectAll().orderBy('name').execute();
  const connectors = await db.selectFrom('connectors').selectAll().orderBy('name').execute();
  const permissions = await db
    .selectFrom('permissions')
    .selectAll()
    .orderBy('agent')
    .orderBy('connector')
    .orderBy('action_pattern')
    .execute();
  const policies = await db.selectFrom('policies').select('document').orderBy('name').execute();
  const rateLimits = await db
    .selectFrom('rate_limits')
    .selectAll()
    .orderBy('agent')
    .orderBy('connector')
    .orderBy('action')
    .execute();
  return {
    gateways: gateways.map((g) => g.name),
    agents: agents.map((a) => ({
      name: a.name,
      gateway: gatewayName.get(a.gateway_id) ?? a.gateway_id,
      mode: a.mode === 'monitor' ? 'monitor' : 'enforce',
      labels: JSON.parse(a.labels) as Record<string, string>,
      port: a.port ?? undefined,
      proxy_auth: a.proxy_auth === 1,
      status: a.status === 'suspended' ? 'suspended' : 'active',
    })),
    connectors: connectors.map((c) => {
      const out: LiveConfig['connectors'][number] = {
        name: c.name,
        gateway: gatewayName.get(c.gateway_id) ?? c.gateway_id,
        type: c.type,
        domains: JSON.parse(c.domains) as string[],
        auth: c.auth,
        intercept: c.intercept === 1,
        options: JSON.parse(c.options) as Record<string, unknown>,
        credential_set: c.credential_set === 1,
      };
      if (c.allow_cleartext === 1) out.allow_cleartext = true;
      if (c.base_url) out.base_url = c.base_url;
      return out;
    }),
    permissions: permissions.map((p) => ({
      id: p.id,
      agent: p.agent,
      connector: p.connector,
      action: p.action_pattern,
      decision: p.decision as ConfigPermission['decision'],
    })),
    policies: policies.map((p) => JSON.parse(p.document) as PolicyDocument),
    rate_limits: rateLimits.map((r) => {
      const out: LiveConfig['rate_limits'][number] = {
        id: r.id,
        agent: r.agent,
        rate: r.rate,
        burst: r.burst,
      };
      if (r.connector !== null) out.connector = r.connector;
      if (r.action !== null) out.action = r.action;
      return out;
    }),
  };
}

/** Every section present (an empty list included), so applying an export with --prune manages all of it. */
export function exportDocument(live: LiveConfig, defaultGateway: string): ConfigDocument {
  const gateway = (g: string) => (g === defaultGateway ? {} : { gateway: g });
  return {
    version: 1,
    agents: live.agents.map(
      (a): ConfigAgent => ({
        name: a.name,
        ...gateway(a.gateway),
        mode: a.mode,
        labels: a.labels,
        ...(a.port === undefined ? {} : { port: a.port }),
        proxy_auth: a.proxy_auth,
        status: a.status,
      }),
    ),
    connectors: live.connectors.map(
      (c): ConfigConnector => ({
        name: c.name,
        ...gateway(c.gateway),
        type: c.type,
        domains: c.domains,
        auth: c.auth,
        ...(c.base_url === undefined ? {} : { base_url: c.base_url }),
        intercept: c.intercept,
        ...(c.allow_cleartext ? { allow_cleartext: true } : {}),
        options: c.options,
        credential_set: c.credential_set,
      }),
    ),
    permissions: live.permissions.map(
      (p): ConfigPermission => ({
        agent: p.agent,
        connector: p.connector,
        action: p.action,
        decision: p.decision,
      }),
    ),
    policies: live.policies.map(readablePolicy),
    rate_limits: live.rate_limits.map(({ id: _id, ...r }): ConfigRateLimit => r),
  };
}

/** Keys in the order of the documented format (name first, rules last), for people reading the file. */
function readablePolicy(doc: PolicyDocument): PolicyDocument {
  const out = ordered(doc, POLICY_KEYS) as unknown as PolicyDocument;
  out.rules = doc.rules.map((r) => ordered(r, RULE_KEYS) as unknown as PolicyDocument['rules'][number]);
  return out;
}

function ordered(obj: object, keys: readonly string[]): Record<string, unknown> {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  for (const k of Object.keys(src)) if (!(k in out) && src[k] !== undefined) out[k] = src[k];
  return out;
}
