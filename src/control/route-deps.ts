import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { LocalDatabase } from '../storage/local-schema.js';
import type { ApprovalService } from './approvals/approval-service.js';
import type { ConfigChanges } from './gateways/config-changes.js';
import type { GatewayLinks } from './gateways/gateway-link.js';

/** What the configuration routes are built from. */
export interface ConfigRouteDeps {
  db: Kysely<LocalDatabase>;
  changes: ConfigChanges;
  /** The control plane's calls into each gateway (`link.to(name)`). */
  link: GatewayLinks;
  config: Pick<Config, 'gatewayName'>;
  now: () => Date;
  /** The kill switch denies pending approvals in its scope. */
  approvals?: Pick<ApprovalService, 'killSwitchActivated'> | undefined;
}

export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
