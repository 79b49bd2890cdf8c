// Row types of local.db (see migrations/local). Timestamps are ISO-8601 UTC text; JSON columns are text.
import type { Generated } from 'kysely';

export interface LocalDatabase {
  audit_events: {
    id: Generated<number>;
    event_type: string;
    actor: string;
    subject: string | null;
    details: string;
    created_at: string;
    prev_hash: string | null;
    hash: string | null;
  };
  users: {
    id: string;
    email: string;
    password_hash: string;
    role: string;
    created_at: string;
    updated_at: string;
  };
  sessions: { id: string; user_id: string; csrf_token: string; created_at: string; expires_at: string };
  api_tokens: {
    id: string;
    name: string;
    token_hash: string;
    /** `tf_pat_` + 6 characters, for telling tokens apart (NULL for tokens made before 0002). */
    prefix: string | null;
    role: string;
    user_id: string | null;
    created_by: string | null;
    created_at: string;
    expires_at: string | null;
    revoked_at: string | null;
    last_used_at: string | null;
  };
  gateways: {
    id: string;
    name: string;
    url: string | null;
    config_version: number;
    last_event_id: number;
    version: string | null;
    created_at: string;
    last_seen_at: string | null;
    ca_pem: string | null;
    ca_fingerprint: string | null;
    agent_port_start: number | null;
    agent_port_end: number | null;
    report: string | null;
    registered_at: string | null;
  };
  agents: {
    id: string;
    gateway_id: string;
    name: string;
    port: number | null;
    mode: string;
    labels: string;
    proxy_auth: number;
    status: string;
    key_hash: string;
    created_at: string;
    updated_at: string;
  };
  agent_session_keys: {
    id: string;
    agent_id: string;
    key_hash: string;
    created_by: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
  };
  connectors: {
    id: string;
    gateway_id: string;
    name: string;
    type: string;
    domains: string;
    auth: string;
    base_url: string | null;
    intercept: number;
    allow_cleartext: number; // 1: the stored credential may be injected into plain HTTP (migration 0003)
    options: string;
    credential_set: number;
    credential_last4: string | null;
    created_at: string;
    updated_at: string;
  };
  permissions: {
    id: Generated<number>;
    gateway_id: string;
    agent: string;
    connector: string;
    action_pattern: string;
    decision: string;
    created_at: string;
  };
  policies: { name: string; version: number; enabled: number; document: string; updated_at: string };
  policy_versions: {
    name: string;
    version: number;
    document: string;
    change: string;
    actor: string;
    created_at: string;
  };
  rate_limits: {
    id: string;
    agent: string;
    connector: string | null;
    action: string | null;
    rate: number;
    burst: number;
    created_at: string;
  };
  kill_switch: { scope: string; reason: string | null; activated_by: string; activated_at: string };
  used_nonces: { nonce: string; used_at: string };
  gateway_streams: {
    id: string;
    gateway_id: string;
    ca_fingerprint: string | null;
    opened_at: string;
    expires_at: string;
  };
  login_failures: { key: string; failed_at: string };
  signing_keys: {
    kid: string;
    public_jwk: string;
    created_at: string;
    retired_at: string | null;
    published_until: string | null;
  };
  action_requests: {
    id: string;
    agent_id: string;
    agent: string;
    gateway_id: string;
    action: string;
    connector: string | null;
    resource: string;
    parameters: string;
    risk_hints: string;
    params_digest: string;
    nonce: string;
    status: string;
    decision: string;
    approval_id: string | null;
    created_at: string;
    updated_at: string;
    expires_at: string | null;
    executed_at: string | null;
  };
  settings: { key: string; value: string };
  approvals: {
    id: string;
    source: string;
    gateway_id: string | null;
    agent: string;
    action: string;
    connector: string | null;
    connector_type: string | null;
    method: string | null;
    host: string | null;
    path: string | null;
    params: string;
    reasons: string;
    approver_roles: string;
    digest: string;
    requests: number;
    status: string;
    decided_by: string | null;
    note: string | null;
    decided_at: string | null;
    used_at: string | null;
    grant_id: string | null;
    created_at: string;
    expires_at: string;
  };
  approval_grants: {
    id: string;
    gateway_id: string | null;
    agent: string;
    action: string;
    approval_id: string;
    created_by: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
    revoked_by: string | null;
  };
  approval_webhooks: {
    id: string;
    url: string;
    format: string;
    secret: string;
    enabled: number;
    created_by: string;
    created_at: string;
  };
  approval_webhook_deliveries: {
    id: Generated<number>;
    webhook_id: string;
    event: string;
    approval_id: string;
    body: string;
    status: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    created_at: string;
    next_attempt_at: string | null;
    delivered_at: string | null;
  };
  gateway_kill_switch: {
    gateway_id: string;
    scope: string;
    reason: string | null;
    activated_at: string;
    reported_at: string;
  };
}
