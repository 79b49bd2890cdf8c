// The approval part of the gateway ⇄ control plane contract. The gateway opens (or joins) approvals
// through the control plane, which owns local.db; decisions come back on the gateway's stream as
// `approval` events (and, when the stream opens, one `approvals` event with everything that is
// pending or was decided lately, so a decision made while the stream was down is not missed).
// The same messages flow in role=all and when the roles are split.

/** POST /internal/gateway/approvals: a request that needs approval. */
export interface HoldRequestMessage {
  gateway: string;
  agent: string;
  action: string;
  connector: string;
  connector_type: string;
  method: string;
  host: string;
  /** Path with query parameter names only. */
  path: string;
  /** Summarised and redacted. */
  params: Record<string, unknown>;
  reasons: string[];
  approver_roles: string[];
  digest: string;
  request_id: string;
}

/** The answer: let it through now (a grant, or an approved identical request used once), or wait. */
export type HoldAnswerMessage =
  | { result: 'granted'; grant_id: string; approval_id: string }
  | { result: 'approved'; approval_id: string }
  | { result: 'pending'; approval_id: string; joined: boolean; expires_at: string };

/** POST /internal/gateway/approvals/:id/use: may a held request be released for this approval now? */
export type UseAnswerMessage = { ok: true; via: 'grant' | 'approval' } | { ok: false; status: string };

/** PUT /internal/gateway/kill-switch: the kill switch entries the gateway holds locally. */
export interface LocalKillSwitchMessage {
  gateway: string;
  entries: { scope: string; reason: string | null; activated_at: string }[];
}

/** Stream event `approval` (and each item of `approvals`). */
export interface ApprovalUpdateMessage {
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
  decided_by: string | null;
  note: string | null;
  /** Denied because a kill switch was activated. */
  kill_switch: boolean;
}
