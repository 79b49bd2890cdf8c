// The configuration-as-code document (`tameflare config export|apply`): agents (never keys),
// connectors (never credentials), permissions, policies and rate limits. The kill switch, users and
// tokens are deliberately not part of it: they are operational and security state, and a stale file
// in git must never be able to release an emergency brake or grant a login.
import type { PolicyDocument, RateLimitRule } from '../../decide/policy-types.js';
import type { Verdict } from '../../decide/types.js';

export const CONFIG_DOCUMENT_VERSION = 1;

/** The sections in apply order; a section absent from a document is left alone by apply. */
export const SECTIONS = ['agents', 'connectors', 'permissions', 'policies', 'rate_limits'] as const;
export type Section = (typeof SECTIONS)[number];

export interface ConfigAgent {
  name: string;
  /** Omitted for the control plane's default gateway. */
  gateway?: string | undefined;
  mode: 'enforce' | 'monitor';
  labels: Record<string, string>;
  /** Dedicated port; omitted: keep the current one, or allocate one for a new agent. */
  port?: number | undefined;
  proxy_auth: boolean;
  status: 'active' | 'suspended';
}

export interface ConfigConnector {
  name: string;
  gateway?: string | undefined;
  type: string;
  domains: string[];
  auth: string;
  base_url?: string | undefined;
  intercept: boolean;
  options: Record<string, unknown>;
  /** Read-only: whether the credential is set. Apply never sets one (credentials stay out of files). */
  credential_set?: boolean | undefined;
}

export interface ConfigPermission {
  agent: string;
  connector: string;
  action: string;
  decision: Verdict;
}

export type ConfigRateLimit = Omit<RateLimitRule, 'id'>;

export interface ConfigDocument {
  version: 1;
  agents?: ConfigAgent[] | undefined;
  connectors?: ConfigConnector[] | undefined;
  permissions?: ConfigPermission[] | undefined;
  policies?: PolicyDocument[] | undefined;
  rate_limits?: ConfigRateLimit[] | undefined;
}

/** The live configuration, as the planner compares it (every item names its gateway). */
export interface LiveConfig {
  gateways: string[];
  agents: (ConfigAgent & { gateway: string; port: number | undefined })[];
  connectors: (ConfigConnector & { gateway: string; credential_set: boolean })[];
  permissions: (ConfigPermission & { id: number })[];
  policies: PolicyDocument[];
  rate_limits: (ConfigRateLimit & { id: string })[];
}

export type ItemKind = 'agent' | 'connector' | 'permission' | 'policy' | 'rate_limit';

export function permissionKey(p: Pick<ConfigPermission, 'agent' | 'connector' | 'action'>): string {
  return `${p.agent}/${p.connector}/${p.action}`;
}
