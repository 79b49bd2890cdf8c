// The configuration-as-code document (`tameflare config export|apply`): agents (never keys),
// connectors (never credentials), permissions, policies and rate limits. The kill switch, users and
// tokens are deliberately not part of it: they are operational and security state, and a stale file
// in git must never be able to release an emergency brake or grant a login.
import type { PolicyDocument } from '../../decide/policy-types.js';
import type { ConfigAgent, ConfigConnector, ConfigPermission, ConfigRateLimit } from '../../wire/config.js';

export const CONFIG_DOCUMENT_VERSION = 1;

/** The sections in apply order; a section absent from a document is left alone by apply. */
export const SECTIONS = ['agents', 'connectors', 'permissions', 'policies', 'rate_limits'] as const;
export type Section = (typeof SECTIONS)[number];

// The document's own shape is part of the API (GET /v1/config/export, POST /v1/config/apply).
export type {
  ConfigAgent,
  ConfigConnector,
  ConfigDocument,
  ConfigPermission,
  ConfigRateLimit,
} from '../../wire/config.js';

/** The live configuration, as the planner compares it (every item names its gateway). */
export interface LiveConfig {
  gateways: string[];
  agents: (ConfigAgent & { gateway: string; port: number | undefined })[];
  connectors: (ConfigConnector & { gateway: string; credential_set: boolean })[];
  permissions: (ConfigPermission & { id: number })[];
  policies: PolicyDocument[];
  rate_limits: (ConfigRateLimit & { id: string })[];
}

export type { ConfigItemKind as ItemKind } from '../../wire/config.js';

export function permissionKey(p: Pick<ConfigPermission, 'agent' | 'connector' | 'action'>): string {
  return `${p.agent}/${p.connector}/${p.action}`;
}
