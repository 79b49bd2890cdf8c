// The one catalogue of stable error codes. Transports map a code to a status here and nowhere else;
// the gateway and the control plane both answer them as RFC 9457 problem+json (./problem-document.ts).

export const ERROR_CODES = {
  // gateway (SPEC 4.4)
  agent_unknown: { status: 407, title: 'Proxy authentication required' },
  agent_suspended: { status: 403, title: 'Agent suspended' },
  connector_not_found: { status: 403, title: 'No connector covers this host' },
  permission_denied: { status: 403, title: 'Permission denied' },
  policy_denied: { status: 403, title: 'Denied by policy' },
  kill_switch_active: { status: 403, title: 'Kill switch active' },
  approval_required: { status: 403, title: 'Approval required' },
  approval_denied: { status: 403, title: 'Approval denied' },
  approval_timeout: { status: 408, title: 'Approval timed out' },
  approval_used: { status: 409, title: 'Approval already used' },
  approval_unavailable: { status: 503, title: 'Approvals unavailable' },
  rate_limited: { status: 429, title: 'Rate limit exceeded' },
  too_many_holds: { status: 429, title: 'Too many requests waiting for approval' },
  egress_blocked: { status: 403, title: 'Egress to this address is blocked' },
  tls_host_mismatch: { status: 421, title: 'Host does not match the tunnel target' },
  upstream_unreachable: { status: 502, title: 'Upstream unreachable' },
  upstream_timeout: { status: 504, title: 'Upstream timed out' },
  request_too_large: { status: 413, title: 'Request body too large' },
  request_header_too_large: { status: 431, title: 'Request header fields too large' },
  insecure_transport: { status: 403, title: 'Credential refused over cleartext' },
  bad_request: { status: 400, title: 'Bad request' },
  traffic_log_unavailable: { status: 503, title: 'Traffic log unavailable' },
  bypass_attempt: { status: 403, title: 'Bypass attempt refused' },
  method_override_refused: { status: 403, title: 'Method override refused' },
  // Never answered (the agent aborted the handshake): the code of its traffic row and log line.
  tls_certificate_rejected: { status: 400, title: "The agent rejected the gateway's certificate" },
  // API (control plane and gateway internal API)
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  insufficient_role: { status: 403, title: 'Insufficient role' },
  csrf_failed: { status: 403, title: 'CSRF check failed' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  decision_token_invalid: { status: 403, title: 'Decision token refused' },
  decision_token_used: { status: 409, title: 'Decision token already used' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  validation_failed: { status: 400, title: 'Validation failed' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function statusFor(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** An error that carries a stable code; its message is safe to show to the caller. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return statusFor(this.code);
  }
}
