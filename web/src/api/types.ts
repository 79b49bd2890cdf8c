// The /v1 wire types the dashboard reads, from the server's own module (src/wire: types only,
// nothing of the server is bundled), under the short names the pages use. The few the dashboard
// needs before their API lands (sign-in) are written here against CONTRACTS.md.
import type { AgentView } from '../../../src/wire/agents';
import type { Me as WireMe } from '../../../src/wire/auth';
import type { ConnectorTypeView, ConnectorView } from '../../../src/wire/connectors';
import type { KillSwitchEntry } from '../../../src/wire/kill-switch';
import type { PermissionView } from '../../../src/wire/permissions';
import type { PolicyVersionView, PolicyView } from '../../../src/wire/policies';
import type { ValidationIssue } from '../../../src/wire/problem';
import type { TrafficEntry as WireTrafficEntry } from '../../../src/wire/traffic';

export type { ActionSpec } from '../../../src/connectors/types';
export type { GatewayInfo } from '../../../src/wire/agents';
export type {
  ApprovalStreamEvent,
  ApprovalWire as Approval,
  DecideApprovalAnswer,
  GrantWire as Grant,
  WebhookCreatedWire as WebhookCreated,
  WebhookDeliveryWire as WebhookDelivery,
  WebhookWire as Webhook,
} from '../../../src/wire/approvals';
export type { LoginAnswer, Me } from '../../../src/wire/auth';
export type { DryRunAnswer } from '../../../src/wire/dry-run';
export type { GatewayList, GatewayView } from '../../../src/wire/gateways';
export type { PolicySaveAnswer, PolicySummary } from '../../../src/wire/policies';
export type { CreatedTokenAnswer, TokenList, TokenView as ApiTokenInfo } from '../../../src/wire/tokens';
export type {
  CreatedUserAnswer,
  PasswordSetAnswer,
  UserList,
  UserView as User,
} from '../../../src/wire/users';

export type Role = WireMe['role'];
export type Verdict = PermissionView['decision'];
export type Agent = AgentView;
export type Connector = ConnectorView;
export type ConnectorType = ConnectorTypeView;
export type Permission = PermissionView;
export type KillSwitchScope = KillSwitchEntry;
export type Policy = PolicyView;
export type PolicyVersion = PolicyVersionView;
export type SchemaError = ValidationIssue;
export type PermissionPreset = 'allow-all' | 'read-only' | 'require-approval';

/** A traffic row (`params` comes with the wire type); `reasons` is shown when the server sends it. */
export interface TrafficEntry extends WireTrafficEntry {
  reasons?: string[] | null;
}

export interface TrafficPage {
  entries: TrafficEntry[];
  last_id: number;
}

export type {
  AuditEventView as AuditEvent,
  AuditPage,
  AuditVerification,
} from '../../../src/wire/audit';
export type {
  GatewayRetentionView,
  RetentionSettings,
  RetentionSource,
  RetentionSweepView,
} from '../../../src/wire/retention';
