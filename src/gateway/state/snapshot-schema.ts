// Validation of configuration snapshots that reach the gateway from outside (PUT /internal/snapshot,
// and the cached copy in gateway.db, which a hand edit could break). Strict on what the proxy relies
// on (identities, hosts, ports); policies are validated again when compiled.
import { z } from 'zod';
import type { GatewayConfigSnapshot } from '../../sync/snapshot.js';

const name = z.string().min(1).max(128);
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp');
const port = z.number().int().min(1).max(65535);
const verdict = z.enum(['allow', 'deny', 'require_approval']);
const killScope = z
  .string()
  .regex(/^(all|agent:.+|connector:.+)$/, 'expected all, agent:NAME or connector:NAME');

export const killSwitchScopeSchema = killScope;

const agent = z.object({
  id: z.string().min(1),
  name,
  port: port.nullable(),
  mode: z.enum(['enforce', 'monitor']),
  labels: z.record(z.string(), z.string()),
  proxyAuth: z.boolean(),
  status: z.enum(['active', 'suspended']),
  keys: z.array(
    z.object({
      id: z.string().min(1),
      kind: z.enum(['agent', 'session']),
      hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex SHA-256'),
      expiresAt: isoTime.nullable(),
    }),
  ),
});

const connector = z.object({
  id: z.string().min(1),
  name,
  type: z.string().min(1).max(64),
  domains: z.array(z.string().min(1).max(260)),
  auth: z
    .string()
    .regex(
      /^(bearer|basic|none|header:.+|query:.+)$/,
      'expected bearer, basic, none, header:NAME or query:NAME',
    ),
  intercept: z.boolean(),
  allowCleartext: z.boolean().optional(),
  options: z.object({ baseUrl: z.string().optional(), extra: z.record(z.string(), z.unknown()).optional() }),
});

const permission = z.object({
  id: z.string().min(1),
  agent: name,
  connector: name,
  action: z.string().min(1).max(256),
  decision: verdict,
});

const policy = z
  .object({
    name,
    enabled: z.boolean(),
    priority: z.number(),
    mode: z.enum(['enforce', 'monitor']),
    rules: z.array(z.object({ name: z.string(), decision: verdict }).passthrough()),
  })
  .passthrough();

const rateLimit = z.object({
  id: z.string().min(1),
  agent: z.string().min(1),
  connector: z.string().optional(),
  action: z.string().optional(),
  rate: z.number().positive(),
  burst: z.number().positive(),
});

export const snapshotSchema = z.object({
  version: z.number().int().min(0),
  generatedAt: isoTime,
  agents: z.array(agent),
  connectors: z.array(connector),
  permissions: z.array(permission),
  policies: z.array(policy),
  rateLimits: z.array(rateLimit),
  killSwitch: z.array(
    z.object({ scope: killScope, reason: z.string().max(1000).optional(), activatedAt: isoTime }),
  ),
  retention: z.object({ trafficDays: z.number().int().min(0).max(36_500) }).optional(),
});

export type SnapshotParseResult =
  | { ok: true; snapshot: GatewayConfigSnapshot }
  | { ok: false; error: string };

export function parseSnapshot(value: unknown): SnapshotParseResult {
  const result = snapshotSchema.safeParse(value);
  if (!result.success) return { ok: false, error: describeIssues(result.error.issues) };
  const snapshot = result.data as GatewayConfigSnapshot;
  const duplicate =
    firstDuplicate(snapshot.agents.map((a) => a.name)) ??
    firstDuplicate(snapshot.connectors.map((c) => c.name));
  if (duplicate) return { ok: false, error: `duplicate name ${JSON.stringify(duplicate)}` };
  const ports = snapshot.agents.flatMap((a) => (a.port === null ? [] : [a.port]));
  const dupPort = firstDuplicate(ports.map(String));
  if (dupPort) return { ok: false, error: `port ${dupPort} is assigned to two agents` };
  return { ok: true, snapshot };
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

function firstDuplicate(values: string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}
