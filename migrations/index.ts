// Migrations are registered here in code, never discovered by scanning a folder: a bundled
// executable has no folder to scan. Append new migrations; never edit a released one.
import { gateway0001Init } from './gateway/0001-init.js';
import { gateway0002TrafficParams } from './gateway/0002-traffic-params.js';
import { local0001Init } from './local/0001-init.js';
import { local0002TokenPrefix } from './local/0002-token-prefix.js';
import { local0003ConnectorAllowCleartext } from './local/0003-connector-allow-cleartext.js';
import { local0004Approvals } from './local/0004-approvals.js';
import { local0005GatewayRegistration } from './local/0005-gateway-registration.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const LOCAL_MIGRATIONS: readonly Migration[] = [
  local0001Init,
  local0002TokenPrefix,
  local0003ConnectorAllowCleartext,
  local0004Approvals,
  local0005GatewayRegistration,
];
export const GATEWAY_MIGRATIONS: readonly Migration[] = [gateway0001Init, gateway0002TrafficParams];
