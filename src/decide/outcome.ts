// What happens to a decided request: the one place that turns a decision, the agent's mode and the
// rate limiter's answer into forward, monitor-forward, hold or refuse. The gateway's request and
// CONNECT handling and the control plane's dry run all go through it, so they cannot drift apart.
// The kill switch arrives as the decision's code (decide checks it first); the approval settings
// as the decision's `approval`.
import { ERROR_CODES } from '../errors/codes.js';
import { decisionDetail } from './decide.js';
import type { AgentMode, ApprovalSettings, Decision, DecisionCode, Verdict } from './types.js';

export const KILL_SWITCH_HEADER = 'X-TameFlare-Kill-Switch';

export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number; rule: string };

export interface OutcomeInput {
  decision: Decision;
  mode: AgentMode;
  /**
   * The rate limiter's answer, asked only when `takesRateLimitToken(decision)`; undefined when it
   * was not asked (the dry run takes no token).
   */
  rateLimit?: RateLimitResult | undefined;
}

interface OutcomeBase {
  /** The mode recorded with the request: a kill switch is recorded as enforced, whatever the agent's mode. */
  mode: AgentMode;
  /** The stable code recorded with the request: the decision's, or rate_limited. */
  code: DecisionCode | 'rate_limited';
  /** The reasons in one sentence. */
  detail: string;
  /** Whether the rate limiter said no (counted even when monitor mode forwards anyway). */
  rateLimited: boolean;
}

export interface Forward extends OutcomeBase {
  kind: 'forward';
}

/** A monitor-mode agent's request that enforce mode would have refused or held: forwarded anyway. */
export interface MonitorForward extends OutcomeBase {
  kind: 'monitor-forward';
  wouldHave: 'deny' | 'require_approval';
}

export interface Hold extends OutcomeBase {
  kind: 'hold';
  approval: ApprovalSettings | undefined;
}

export interface Refuse extends OutcomeBase {
  kind: 'refuse';
  code: 'kill_switch_active' | 'rate_limited' | 'policy_denied' | 'permission_denied';
  status: number;
  /** Response headers the refusal needs (Retry-After, the kill switch marker). */
  headers: Record<string, string>;
}

export type Outcome = Forward | MonitorForward | Hold | Refuse;

/** Only a request the decision allows takes a rate-limit token (a refused one must not use up the bucket). */
export function takesRateLimitToken(decision: Decision): boolean {
  return decision.verdict === 'allow';
}

export function outcome({ decision, mode, rateLimit }: OutcomeInput): Outcome {
  const detail = decisionDetail(decision);
  // The kill switch is never shadowed by monitor mode: it exists to stop traffic.
  if (decision.code === 'kill_switch_active') {
    return refuse('enforce', 'kill_switch_active', detail, false, { [KILL_SWITCH_HEADER]: 'active' });
  }
  if (takesRateLimitToken(decision) && rateLimit !== undefined && !rateLimit.ok) {
    const reason = `rate limit ${rateLimit.rule} exceeded; retry in ${rateLimit.retryAfterSeconds} s`;
    if (mode === 'monitor') {
      return {
        kind: 'monitor-forward',
        mode,
        code: 'rate_limited',
        detail: reason,
        rateLimited: true,
        wouldHave: 'deny',
      };
    }
    return refuse(mode, 'rate_limited', reason, true, { 'Retry-After': String(rateLimit.retryAfterSeconds) });
  }
  if (decision.verdict === 'deny') {
    return refuse(
      mode,
      decision.code === 'policy_denied' ? 'policy_denied' : 'permission_denied',
      detail,
      false,
    );
  }
  const base = { mode, code: decision.code, detail, rateLimited: false };
  if (decision.verdict === 'require_approval') return { kind: 'hold', ...base, approval: decision.approval };
  if (mode === 'monitor' && (decision.wouldHave === 'deny' || decision.wouldHave === 'require_approval')) {
    return { kind: 'monitor-forward', ...base, wouldHave: decision.wouldHave };
  }
  return { kind: 'forward', ...base };
}

/** The verdict an outcome amounts to, as the dry run shows it. */
export function outcomeVerdict(next: Outcome): Verdict {
  return next.kind === 'refuse' ? 'deny' : next.kind === 'hold' ? 'require_approval' : 'allow';
}

function refuse(
  mode: AgentMode,
  code: Refuse['code'],
  detail: string,
  rateLimited: boolean,
  headers: Record<string, string> = {},
): Refuse {
  return { kind: 'refuse', mode, code, detail, rateLimited, status: ERROR_CODES[code].status, headers };
}
