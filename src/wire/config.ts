// Wire types of /v1/config (configuration as code): the document (`tameflare config export|apply`)
// with agents (never keys), connectors (never credentials), permissions, policies and rate limits.
// The kill switch, users and tokens are deliberately not part of it: they are operational and
// security state, and a stale file in git must never be able to release an emergency brake or grant
// a login.
import type { PolicyDocument, RateLimitRule } from '../decide/policy-types.js';
import type { Verdict } from '../decide/types.js';

export type ConfigItemKind = 'agent' | 'connector' | 'permission' | 'policy' | 'rate_limit';

export interface ConfigDiffItem {
  kind: ConfigItemKind;
  name: string;
}

export interface ConfigUpdateItem extends ConfigDiffItem {
  changes: Record<string, { from: unknown; to: unknown }>;
}

/** POST /v1/config/apply: the diff, applied or (with dry_run) only planned. */
export interface ConfigApplyAnswer {
  dry_run: boolean;
  prune: boolean;
  create: ConfigDiffItem[];
  update: ConfigUpdateItem[];
  delete: ConfigDiffItem[];
  /** Live items the document does not name, kept because prune was off. */
  kept: ConfigDiffItem[];
  unchanged: number;
  /** Keys of agents the apply created, shown this once. */
  new_agent_keys: Record<string, string>;
  /** Connectors the document says have a credential that the live one lacks. */
  credentials_missing: string[];
  warnings?: string[];
}

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
  /** Written only when true: the stored credential may be injected into plain HTTP. */
  allow_cleartext?: boolean | undefined;
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
