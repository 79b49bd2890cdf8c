// The configuration a gateway works from: sent by the control plane, cached in gateway.db so the
// gateway starts and runs while the control plane is down. Holds hashes of keys, never keys, and
// no credentials (those live only in the gateway's vault).
import type { AuthScheme, ConnectorOptions } from '../connectors/types.js';
import type { PolicyDocument, RateLimitRule } from '../decide/policy-types.js';
import type { AgentMode, KillSwitchEntry, PermissionRule } from '../decide/types.js';

export interface SnapshotAgentKey {
  id: string;
  kind: 'agent' | 'session';
  /** hex SHA-256 of the full key text (keys are 256-bit random, so a fast hash is enough). */
  hash: string;
  expiresAt: string | null; // ISO-8601 UTC; null: no expiry
}

export interface SnapshotAgent {
  id: string;
  name: string;
  port: number | null; // dedicated port, null when none
  mode: AgentMode;
  labels: Record<string, string>;
  proxyAuth: boolean; // false: the dedicated port alone identifies the agent (--no-proxy-auth)
  status: 'active' | 'suspended';
  keys: SnapshotAgentKey[];
}

export interface SnapshotConnector {
  id: string;
  name: string; // unique on its gateway
  type: string; // connector type, e.g. 'github'
  domains: string[]; // lower-case host names; `*.example.com` covers subdomains
  auth: AuthScheme;
  intercept: boolean; // false: `--no-intercept`, tunnel without TLS termination
  /** true: the stored credential may be injected into plain-HTTP requests (`--allow-cleartext`). */
  allowCleartext?: boolean | undefined;
  options: ConnectorOptions;
}

export interface GatewayConfigSnapshot {
  version: number;
  generatedAt: string;
  agents: SnapshotAgent[];
  connectors: SnapshotConnector[];
  permissions: PermissionRule[];
  policies: PolicyDocument[];
  rateLimits: RateLimitRule[];
  killSwitch: KillSwitchEntry[];
  /** Set on the control plane (/v1/settings/retention): the traffic-log retention in days for a
   * gateway whose own configuration does not set one. Absent: not set there. */
  retention?: { trafficDays: number } | undefined;
}

export function emptySnapshot(): GatewayConfigSnapshot {
  return {
    version: 0,
    generatedAt: new Date(0).toISOString(),
    agents: [],
    connectors: [],
    permissions: [],
    policies: [],
    rateLimits: [],
    killSwitch: [],
  };
}
