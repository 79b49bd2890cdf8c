// What applying a document would change, computed purely from the document and the live
// configuration: the diff shown to the operator (also for --dry-run) and the operations apply runs.
// Semantics: a section absent from the document is not managed; an item in the document is created
// or updated to match; a live item missing from a managed section is kept (and listed) unless
// `prune`, when it is deleted. Deleting an agent or connector also deletes what hangs off it
// (permissions, rate limits), as the API's own delete does. References are checked against the
// configuration as it will be after the apply.
import { canonicalJson } from '../../audit/canonical-json.js';
import type { PolicyDocument } from '../../decide/policy-types.js';
import type { Issue, PathSegment } from '../../decide/schema-reader.js';
import type { ConfigDiffItem, ConfigUpdateItem } from '../../wire/config.js';
import { rateLimitKey } from '../rate-limits/rate-limit-store.js';
import {
  type ConfigAgent,
  type ConfigConnector,
  type ConfigDocument,
  type ConfigPermission,
  type ConfigRateLimit,
  type ItemKind,
  type LiveConfig,
  permissionKey,
} from './config-document.js';

/** The plan's diff is what the API answers (src/wire/config.ts). */
export type DiffItem = ConfigDiffItem;
export type UpdateItem = ConfigUpdateItem;

type LiveAgent = LiveConfig['agents'][number];
type LiveConnector = LiveConfig['connectors'][number];
type LivePermission = LiveConfig['permissions'][number];
type LiveRateLimit = LiveConfig['rate_limits'][number];
type Changes = UpdateItem['changes'];

export interface SectionOps<D, L> {
  create: D[];
  update: { desired: D; live: L; changes: Changes }[];
  remove: L[];
}

export interface ConfigPlan {
  create: DiffItem[];
  update: UpdateItem[];
  delete: DiffItem[];
  kept: DiffItem[];
  unchanged: number;
  /** Problems with references (unknown agent, moved agent, port clash), at their document path. */
  issues: Issue[];
  agents: SectionOps<ConfigAgent & { gateway: string }, LiveAgent>;
  connectors: SectionOps<ConfigConnector & { gateway: string }, LiveConnector>;
  permissions: SectionOps<ConfigPermission, LivePermission>;
  policies: SectionOps<PolicyDocument, PolicyDocument>;
  rateLimits: SectionOps<ConfigRateLimit, LiveRateLimit>;
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

function changed(fields: readonly string[], desired: object, live: object): Changes {
  const out: Changes = {};
  const d = desired as Record<string, unknown>;
  const l = live as Record<string, unknown>;
  for (const f of fields)
    if (d[f] !== undefined && !same(d[f], l[f])) out[f] = { from: l[f] ?? null, to: d[f] };
  return out;
}

export function planConfig(
  doc: ConfigDocument,
  live: LiveConfig,
  opts: { prune: boolean; defaultGateway: string },
) {
  const plan: ConfigPlan = {
    create: [],
    update: [],
    delete: [],
    kept: [],
    unchanged: 0,
    issues: [],
    agents: { create: [], update: [], remove: [] },
    connectors: { create: [], update: [], remove: [] },
    permissions: { create: [], update: [], remove: [] },
    policies: { create: [], update: [], remove: [] },
    rateLimits: { create: [], update: [], remove: [] },
  };
  const withGateway = <T extends { gateway?: string | undefined }>(x: T) => ({
    ...x,
    gateway: x.gateway ?? opts.defaultGateway,
  });

  function section<D, L>(
    kind: ItemKind,
    ops: SectionOps<D, L>,
    desired: readonly D[] | undefined,
    current: readonly L[],
    key: (x: D | L) => string,
    diff: (d: D, l: L) => Changes,
  ) {
    if (desired === undefined) return;
    const byKey = new Map(current.map((l) => [key(l), l]));
    for (const d of desired) {
      const l = byKey.get(key(d));
      byKey.delete(key(d));
      if (l === undefined) {
        ops.create.push(d);
        plan.create.push({ kind, name: key(d) });
        continue;
      }
      const changes = diff(d, l);
      if (Object.keys(changes).length === 0) plan.unchanged++;
      else {
        ops.update.push({ desired: d, live: l, changes });
        plan.update.push({ kind, name: key(d), changes });
      }
    }
    for (const l of byKey.values()) {
      if (opts.prune) {
        ops.remove.push(l);
        plan.delete.push({ kind, name: key(l) });
      } else plan.kept.push({ kind, name: key(l) });
    }
  }

  const name = (x: { name: string }) => x.name;
  section('agent', plan.agents, doc.agents?.map(withGateway), live.agents, name, (d, l) =>
    changed(['mode', 'labels', 'port', 'proxy_auth', 'status'], d, l),
  );
  section('connector', plan.connectors, doc.connectors?.map(withGateway), live.connectors, name, (d, l) => ({
    ...changed(['domains', 'auth', 'intercept', 'options'], d, l),
    ...((d.allow_cleartext ?? false) !== (l.allow_cleartext ?? false)
      ? { allow_cleartext: { from: l.allow_cleartext ?? false, to: d.allow_cleartext ?? false } }
      : {}),
    ...((d.base_url ?? null) !== (l.base_url ?? null)
      ? { base_url: { from: l.base_url ?? null, to: d.base_url ?? null } }
      : {}),
  }));
  section('permission', plan.permissions, doc.permissions, live.permissions, permissionKey, (d, l) =>
    changed(['decision'], d, l),
  );
  section('policy', plan.policies, doc.policies, live.policies, name, (d, l) =>
    changed([...new Set([...Object.keys(d), ...Object.keys(l)])], { ...emptyPolicyKeys(l), ...d }, l),
  );
  section('rate_limit', plan.rateLimits, doc.rate_limits, live.rate_limits, rateLimitKey, (d, l) =>
    changed(['rate', 'burst'], d, l),
  );
  cascade(plan, live);
  checkReferences(doc, live, plan, opts.defaultGateway);
  return plan;
}

/** A key present live but absent from the document shows as a change to null. */
function emptyPolicyKeys(live: PolicyDocument): Record<string, null> {
  return Object.fromEntries(Object.keys(live).map((k) => [k, null]));
}

/** Permissions and rate limits of deleted agents and connectors go with them. */
function cascade(plan: ConfigPlan, live: LiveConfig): void {
  const agents = new Set(plan.agents.remove.map((a) => a.name));
  const connectors = new Set(plan.connectors.remove.map((c) => c.name));
  if (agents.size === 0 && connectors.size === 0) return;
  const orphaned = (agent: string, connector: string | undefined) =>
    agents.has(agent) || (connector !== undefined && connectors.has(connector));
  const follow = <L>(
    kind: ItemKind,
    ops: SectionOps<unknown, L>,
    all: readonly L[],
    key: (l: L) => string,
    test: (l: L) => boolean,
  ) => {
    const removing = new Set(ops.remove.map(key));
    for (const l of all) {
      if (!test(l) || removing.has(key(l))) continue;
      ops.remove.push(l);
      plan.delete.push({ kind, name: key(l) });
      plan.kept = plan.kept.filter((k) => !(k.kind === kind && k.name === key(l)));
    }
  };
  follow('permission', plan.permissions, live.permissions, permissionKey, (p) =>
    orphaned(p.agent, p.connector),
  );
  follow('rate_limit', plan.rateLimits, live.rate_limits, rateLimitKey, (r) =>
    orphaned(r.agent, r.connector),
  );
}

function checkReferences(
  doc: ConfigDocument,
  live: LiveConfig,
  plan: ConfigPlan,
  defaultGateway: string,
): void {
  const add = (segments: PathSegment[], message: string) => plan.issues.push({ segments, message });
  const removedAgents = new Set(plan.agents.remove.map((a) => a.name));
  const removedConnectors = new Set(plan.connectors.remove.map((c) => c.name));
  const liveAgents = new Map(live.agents.map((a) => [a.name, a]));
  const liveConnectors = new Map(live.connectors.map((c) => [c.name, c]));
  const gateways = new Set([...live.gateways, defaultGateway]);

  // Agents and connectors after the apply: name → gateway (and port, for agents).
  const agents = new Map<string, { gateway: string; port: number | undefined; at?: number }>();
  for (const a of live.agents)
    if (!removedAgents.has(a.name)) agents.set(a.name, { gateway: a.gateway, port: a.port });
  const connectors = new Map<string, string>();
  for (const c of live.connectors) if (!removedConnectors.has(c.name)) connectors.set(c.name, c.gateway);

  doc.agents?.forEach((a, i) => {
    const gateway = a.gateway ?? defaultGateway;
    const was = liveAgents.get(a.name);
    if (!gateways.has(gateway)) add(['agents', i, 'gateway'], `no gateway named ${gateway}`);
    else if (was && was.gateway !== gateway)
      add(
        ['agents', i, 'gateway'],
        `agent ${a.name} is on gateway ${was.gateway}; apply does not move agents (remove and re-add it)`,
      );
    agents.set(a.name, { gateway, port: a.port ?? was?.port, at: i });
  });
  doc.connectors?.forEach((c, i) => {
    const gateway = c.gateway ?? defaultGateway;
    const was = liveConnectors.get(c.name);
    if (!gateways.has(gateway)) add(['connectors', i, 'gateway'], `no gateway named ${gateway}`);
    else if (was && was.gateway !== gateway)
      add(
        ['connectors', i, 'gateway'],
        `connector ${c.name} is on gateway ${was.gateway}; apply does not move connectors`,
      );
    if (was && was.type !== c.type)
      add(
        ['connectors', i, 'type'],
        `connector ${c.name} has type ${was.type}; a type cannot change (remove it first)`,
      );
    connectors.set(c.name, gateway);
  });

  // A port may be held by one agent per gateway; report each clash once, on the later document entry.
  const final = [...agents.entries()];
  for (const [agentName, a] of final) {
    if (a.at === undefined || a.port === undefined) continue;
    const clash = final.find(
      ([other, o]) =>
        other !== agentName &&
        o.gateway === a.gateway &&
        o.port === a.port &&
        (o.at === undefined || o.at < a.at!),
    );
    if (clash) add(['agents', a.at, 'port'], `port ${a.port} is also the port of agent ${clash[0]}`);
  }

  const agentRef = (name: string, at: PathSegment[]) => {
    const a = agents.get(name);
    if (!a) add(at, `no agent named ${name} (neither in the document nor kept)`);
    return a?.gateway;
  };
  const connectorRef = (name: string, gateway: string | undefined, at: PathSegment[]) => {
    const g = connectors.get(name);
    if (g === undefined) add(at, `no connector named ${name} (neither in the document nor kept)`);
    else if (gateway !== undefined && g !== gateway)
      add(at, `connector ${name} is on gateway ${g}, the agent on ${gateway}`);
  };
  doc.permissions?.forEach((p, i) => {
    const gateway = agentRef(p.agent, ['permissions', i, 'agent']);
    if (gateway !== undefined) connectorRef(p.connector, gateway, ['permissions', i, 'connector']);
  });
  doc.rate_limits?.forEach((r, i) => {
    const gateway = r.agent === '*' ? undefined : agentRef(r.agent, ['rate_limits', i, 'agent']);
    if (r.connector !== undefined) connectorRef(r.connector, gateway, ['rate_limits', i, 'connector']);
  });
}
