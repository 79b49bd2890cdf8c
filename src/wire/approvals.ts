// Wire types of the /v1/approvals API, shared by the control plane's routes, the CLI and (types only)
// the dashboard. No runtime imports of server code.

/** The longest grant ("approve for N minutes") the API accepts: a day. Longer belongs in a permission. */
export const MAX_GRANT_MINUTES = 24 * 60;

export type ApprovalStatusWire = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

export interface ApprovalWire {
  id: string; // apv_…
  status: ApprovalStatusWire;
  /** `proxy`: a request held by a gateway; `sdk`: an action asked for in SDK mode (POST /v1/actions). */
  source: 'proxy' | 'sdk';
  gateway: string | null;
  agent: string;
  action: string;
  connector: string | null;
  connector_type: string | null;
  method: string | null;
  host: string | null;
  /** Path with query parameter names only, never values. */
  path: string | null;
  /** The action's parameters, summarised and redacted. */
  params: Record<string, unknown>;
  /** Why approval is needed (the permission and rules that asked for it). */
  reasons: string[];
  /** Roles the rule names as approvers ([] means any member or above). */
  approver_roles: string[];
  /** The lowest role that may decide this approval. */
  required_role: string;
  /** SHA-256 of agent, method, URL and body: identical requests join this approval. */
  digest: string;
  /** How many requests asked for it (the first plus those that joined). */
  requests: number;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decided_by: string | null;
  note: string | null;
  /** When the approved request was let through (held request released or one retry passed). */
  used_at: string | null;
  grant: { id: string; expires_at: string } | null;
}

export interface ApprovalListWire {
  approvals: ApprovalWire[];
}

export interface DecideApprovalBody {
  note?: string;
  /** Approve only: also let the same agent run the same action for this many minutes (a grant). */
  grant_minutes?: number;
}

export interface DecideApprovalAnswer {
  approval: ApprovalWire;
  grant: GrantWire | null;
  /** Other pending approvals (same agent and action) the grant also approved. */
  also_approved: string[];
}

export interface GrantWire {
  id: string; // grt_…
  gateway: string | null;
  agent: string;
  action: string;
  approval_id: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

/** One server-sent event on GET /v1/approvals/stream (`event:` is the type). */
export type ApprovalStreamEventType = 'approval.requested' | 'approval.decided' | 'approval.updated';
export interface ApprovalStreamEvent {
  type: ApprovalStreamEventType;
  approval: ApprovalWire;
}

export interface WebhookWire {
  id: string; // whk_…
  url: string;
  format: 'json' | 'slack';
  enabled: boolean;
  secret_last4: string;
  created_by: string;
  created_at: string;
}

export interface WebhookCreatedWire extends WebhookWire {
  /** The HMAC-SHA256 signing secret: shown once. */
  secret: string;
}

export interface WebhookDeliveryWire {
  id: number;
  webhook_id: string;
  event: string;
  approval_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string | null;
  delivered_at: string | null;
}
