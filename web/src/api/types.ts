// The /v1 wire types the dashboard reads. They mirror the control plane's route answers; when
// `src/wire/` lands they are imported from there instead (types only, nothing from the server runs here).

export type Role = 'viewer' | 'member' | 'admin' | 'owner';
export type Verdict = 'allow' | 'deny' | 'require_approval';

export interface Me {
  kind: 'token' | 'session';
  name: string;
  role: Role;
  user_id: string | null;
  email: string | null;
  csrf_token?: string;
}

export interface LoginAnswer {
  user: { id: string; email: string; role: Role };
  csrf_token: string;
  expires_at: string;
}

export interface Agent {
  name: string;
  gateway: string;
  port: number | null;
  mode: 'enforce' | 'monitor';
  labels: Record<string, string>;
  proxy_auth: boolean;
  status: 'active' | 'suspended';
  created_at: string;
  updated_at: string;
  proxy_url: string | null;
  port_url: string | null;
}

export interface GatewayInfo {
  gateway: string;
  url: string | null;
  proxy_host: string | null;
  proxy_port: number | null;
}

export interface Connector {
  name: string;
  type: string;
  gateway: string;
  domains: string[];
  auth: string;
  base_url: string | null;
  intercept: boolean;
  options: Record<string, unknown>;
  credential_set: boolean;
  credential_last4: string | null;
  created_at: string;
}

export interface ConnectorType {
  type: string;
  title: string;
  default_domains: string[];
  default_auth: string;
  actions: number;
}

export interface ActionSpec {
  action: string;
  method: string;
  path: string;
  risk: 'low' | 'medium' | 'high';
  params: string[];
  description: string;
}

export interface Permission {
  id: number;
  agent: string;
  connector: string;
  action: string;
  decision: Verdict;
  created_at: string;
}

export type PermissionPreset = 'allow-all' | 'read-only' | 'require-approval';

export interface KillSwitchScope {
  scope: string;
  reason: string | null;
  activated_by: string;
  activated_at: string;
}

export interface PolicySummary {
  name: string;
  version: number;
  enabled: boolean;
  priority: number;
  mode: string;
  description: string | null;
  rules: number;
  updated_at: string;
}

export interface Policy extends PolicySummary {
  document: Record<string, unknown>;
}

export interface PolicyVersion {
  version: number;
  change: 'created' | 'updated' | 'enabled' | 'disabled' | 'rollback' | 'deleted';
  actor: string;
  created_at: string;
  document: Record<string, unknown>;
}

export interface PolicySaveResult {
  name: string;
  change: 'created' | 'updated' | 'unchanged';
  version: number;
  message: string;
}

/** One problem of a policy or configuration document (`details.errors`). */
export interface SchemaError {
  path: string;
  message: string;
  line?: number;
}

export interface DryRunAnswer {
  verdict: Verdict;
  code: string;
  reasons: string[];
  permission: { id: string; agent: string; connector: string; action: string; decision: Verdict } | null;
  matched_rules: {
    policy: string;
    rule: string;
    decision: Verdict;
    reason: string;
    risk_score: number | null;
    monitor: boolean;
  }[];
  action: string | null;
  params: Record<string, unknown> | null;
  risk: string | null;
  connector: { name: string; type: string } | null;
  request: { method: string; host: string; path: string };
  would_have?: Verdict;
  risk_score?: number;
  rate_limits: { id: string; connector: string | null; action: string | null; rate: number; burst: number }[];
  decided_at: string;
}

export interface TrafficEntry {
  id: number;
  created_at: string;
  event_type: string;
  request_id: string | null;
  gateway: string | null;
  agent: string | null;
  connector: string | null;
  action: string | null;
  method: string | null;
  host: string | null;
  path: string | null;
  decision: string | null;
  reason: string | null;
  status: number | null;
  latency_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  error: string | null;
  mode: string | null;
  /** The action's parameters, when the gateway records them (issue 15). */
  params?: Record<string, unknown> | null;
  reasons?: string[] | null;
}

export interface TrafficPage {
  entries: TrafficEntry[];
  last_id: number;
}
