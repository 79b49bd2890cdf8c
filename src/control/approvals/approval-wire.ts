// Rows of approvals and grants as the /v1 API and the live stream show them.
import { requiredApproverRole } from '../../approvals/approval-rules.js';
import type { ApprovalStatusWire, ApprovalWire, GrantWire } from '../../wire/approvals.js';
import type { ApprovalRow, GrantRow } from './approval-store.js';

export function toApprovalWire(row: ApprovalRow): ApprovalWire {
  const approverRoles = parseJson<string[]>(row.approver_roles, []);
  return {
    id: row.id,
    status: row.status as ApprovalStatusWire,
    source: row.source === 'sdk' ? 'sdk' : 'proxy',
    gateway: row.gateway_name,
    agent: row.agent,
    action: row.action,
    connector: row.connector,
    connector_type: row.connector_type,
    method: row.method,
    host: row.host,
    path: row.path,
    params: parseJson<Record<string, unknown>>(row.params, {}),
    reasons: parseJson<string[]>(row.reasons, []),
    approver_roles: approverRoles,
    required_role: requiredApproverRole(approverRoles),
    digest: row.digest,
    requests: row.requests,
    created_at: row.created_at,
    expires_at: row.expires_at,
    decided_at: row.decided_at,
    decided_by: row.decided_by,
    note: row.note,
    used_at: row.used_at,
    grant:
      row.grant_id && row.grant_expires_at ? { id: row.grant_id, expires_at: row.grant_expires_at } : null,
  };
}

export function toGrantWire(row: GrantRow & { gateway_name?: string | null }): GrantWire {
  return {
    id: row.id,
    gateway: row.gateway_name ?? null,
    agent: row.agent,
    action: row.action,
    approval_id: row.approval_id,
    created_by: row.created_by,
    created_at: row.created_at,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    revoked_by: row.revoked_by,
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
