// Wire types of SDK mode: /v1/actions (agent key as Bearer) and /.well-known/jwks.json.

/** POST /v1/actions body (SPEC 5.4). */
export interface ActionRequestBody {
  /** The action, e.g. `github.pr.merge`. */
  type: string;
  /** What it acts on, for people reading the record (provider, account, target, environment…). */
  resource?: Record<string, string | number | boolean | null>;
  /** The parameters the action is decided on; a decision token binds exactly these. */
  parameters?: Record<string, unknown>;
  /** Any true hint raises the action's risk to high for policies (it can never lower it). */
  risk_hints?: Record<string, boolean>;
  /** Which connector carries it, when several of its type exist. */
  connector?: string;
}

export type ActionStatus =
  | 'allowed'
  | 'denied'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'executed';

/** The answer of POST /v1/actions and GET /v1/actions/:id. */
export interface ActionDecision {
  action_request_id: string;
  status: ActionStatus;
  agent: string;
  action: string;
  connector: string | null;
  /** Stable code of the decision (`allowed`, `permission_denied`, `policy_denied`, …). */
  code: string;
  reason: string;
  reasons: string[];
  /** ES256 JWS for `allowed` and `approved`: use it once, before `token_expires_at`. */
  decision_token: string | null;
  token_expires_at: string | null;
  /** The approval to wait for (`pending_approval`), when the approvals service opened one. */
  approval_id: string | null;
  created_at: string;
  updated_at: string;
  /** Until when a pending request waits, or until when tokens can still be fetched. */
  expires_at: string | null;
}

/** POST /v1/actions/:id/execute: the SDK spends its decision token before acting itself. */
export interface ExecuteBody {
  decision_token: string;
}

export interface ExecuteAnswer {
  action_request_id: string;
  status: 'executed';
  executed_at: string;
}

export interface SigningKeyView {
  kid: string;
  created_at: string;
  retired_at: string | null;
  published_until: string | null;
  current: boolean;
  published: boolean;
}

export interface KeyList {
  keys: SigningKeyView[];
}

export interface KeyRotated {
  kid: string;
  previous_kid: string;
  /** The old key stays in the JWKS until then (its last tokens expire before). */
  previous_published_until: string;
}
