// Migrations are registered here in code, never discovered by scanning a folder: a bundled
// executable has no folder to scan. Append new migrations; never edit a released one.
import { gateway0001Init } from './gateway/0001-init.js';
import { gateway0002TrafficParams } from './gateway/0002-traffic-params.js';
import { local0001Init } from './local/0001-init.js';
import { local0002TokenPrefix } from './local/0002-token-prefix.js';
import { local0003ConnectorAllowCleartext } from './local/0003-connector-allow-cleartext.js';
import { local0004Approvals } from './local/0004-approvals.js';
import { local0005GatewayRegistration } from './local/0005-gateway-registration.js';
import { local0006DecisionTokens } from './local/0006-decision-tokens.js';
import { local0007ClusterState } from './local/0007-cluster-state.js';
import { postgres0001Init } from './postgres/0001-init.js';
import { postgres0002TokenPrefix } from './postgres/0002-token-prefix.js';
import { postgres0003ConnectorAllowCleartext } from './postgres/0003-connector-allow-cleartext.js';
import { postgres0004Approvals } from './postgres/0004-approvals.js';
import { postgres0005GatewayRegistration } from './postgres/0005-gateway-registration.js';
import { postgres0006DecisionTokens } from './postgres/0006-decision-tokens.js';
import { postgres0007ClusterState } from './postgres/0007-cluster-state.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const LOCAL_MIGRATIONS: readonly Migration[] = [
  local0001Init,
  local0002TokenPrefix,
  local0003ConnectorAllowCleartext,
  local0004Approvals,
  local0005GatewayRegistration,
  local0006DecisionTokens,
  local0007ClusterState,
];
export const GATEWAY_MIGRATIONS: readonly Migration[] = [gateway0001Init, gateway0002TrafficParams];

/**
 * The control plane's database on PostgreSQL (TAMEFLARE_DATABASE_URL): one twin per local migration,
 * under the same name, in the same order (test/postgres/schema-parity.test.ts holds both in step).
 */
export const POSTGRES_LOCAL_MIGRATIONS: readonly Migration[] = [
  postgres0001Init,
  postgres0002TokenPrefix,
  postgres0003ConnectorAllowCleartext,
  postgres0004Approvals,
  postgres0005GatewayRegistration,
  postgres0006DecisionTokens,
  postgres0007ClusterState,
];
