import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { compilePolicies } from './evaluate.js';
import {
  type Outcome,
  outcome,
  outcomeVerdict,
  type RateLimitResult,
  takesRateLimitToken,
} from './outcome.js';
import type { PolicyDocument } from './policy-types.js';
import type { AgentMode, Decision, DecisionCode, Verdict } from './types.js';

function decision(verdict: Verdict, code: DecisionCode, extra: Partial<Decision> = {}): Decision {
  return { verdict, code, reasons: [`because ${code}`], matchedRules: [], ...extra };
}

const kill = decision('deny', 'kill_switch_active', { reasons: ['kill switch all: incident 42'] });
const allowed = decision('allow', 'allowed');
const permissionDenied = decision('deny', 'permission_denied');
const policyDenied = decision('deny', 'policy_denied');
const approval = { timeoutSeconds: 60, approverRoles: ['finance'] };
const needsApproval = decision('require_approval', 'approval_required', { approval });
// What decide returns for a monitor-mode agent: forwarded, with the enforce verdict kept.
const wouldDeny = decision('allow', 'policy_denied', { wouldHave: 'deny' });
const wouldHold = decision('allow', 'approval_required', { wouldHave: 'require_approval' });
const limited: RateLimitResult = { ok: false, retryAfterSeconds: 3, rule: 'rl-1' };
const limitedDetail = 'rate limit rl-1 exceeded; retry in 3 s';
const ok: RateLimitResult = { ok: true };

type Row = [
  string,
  Decision,
  AgentMode,
  RateLimitResult | undefined,
  Partial<Outcome> & Pick<Outcome, 'kind'>,
];

const table: Row[] = [
  // The kill switch beats everything, monitor mode and rate limits included, and is recorded as enforced.
  [
    'kill switch, enforce',
    kill,
    'enforce',
    undefined,
    {
      kind: 'refuse',
      mode: 'enforce',
      code: 'kill_switch_active',
      status: 403,
      detail: 'kill switch all: incident 42',
      headers: { 'X-TameFlare-Kill-Switch': 'active' },
      rateLimited: false,
    },
  ],
  [
    'kill switch, monitor',
    kill,
    'monitor',
    undefined,
    { kind: 'refuse', mode: 'enforce', code: 'kill_switch_active', status: 403 },
  ],
  [
    'kill switch, monitor, rate limit exceeded',
    kill,
    'monitor',
    limited,
    { kind: 'refuse', mode: 'enforce', code: 'kill_switch_active', rateLimited: false },
  ],
  // Allowed: forwarded unless the rate limit says no.
  [
    'allow, rate limit not asked',
    allowed,
    'enforce',
    undefined,
    { kind: 'forward', mode: 'enforce', code: 'allowed', detail: 'because allowed' },
  ],
  ['allow, within the rate limit', allowed, 'enforce', ok, { kind: 'forward', code: 'allowed' }],
  [
    'allow, rate limit exceeded, enforce',
    allowed,
    'enforce',
    limited,
    {
      kind: 'refuse',
      mode: 'enforce',
      code: 'rate_limited',
      status: 429,
      detail: limitedDetail,
      headers: { 'Retry-After': '3' },
      rateLimited: true,
    },
  ],
  [
    'allow, rate limit exceeded, monitor',
    allowed,
    'monitor',
    limited,
    {
      kind: 'monitor-forward',
      mode: 'monitor',
      code: 'rate_limited',
      detail: limitedDetail,
      wouldHave: 'deny',
      rateLimited: true,
    },
  ],
  ['allow, monitor', allowed, 'monitor', ok, { kind: 'forward', mode: 'monitor', code: 'allowed' }],
  // Monitor mode forwards what enforce mode would refuse or hold, with the refusal recorded.
  [
    'would deny, monitor',
    wouldDeny,
    'monitor',
    ok,
    {
      kind: 'monitor-forward',
      mode: 'monitor',
      code: 'policy_denied',
      wouldHave: 'deny',
      rateLimited: false,
    },
  ],
  [
    'would require approval, monitor',
    wouldHold,
    'monitor',
    undefined,
    { kind: 'monitor-forward', code: 'approval_required', wouldHave: 'require_approval' },
  ],
  [
    'would deny, monitor, rate limit exceeded',
    wouldDeny,
    'monitor',
    limited,
    {
      kind: 'monitor-forward',
      code: 'rate_limited',
      detail: limitedDetail,
      wouldHave: 'deny',
      rateLimited: true,
    },
  ],
  // Denies keep their code: policy_denied for a policy, permission_denied for everything else.
  [
    'permission deny',
    permissionDenied,
    'enforce',
    undefined,
    {
      kind: 'refuse',
      mode: 'enforce',
      code: 'permission_denied',
      status: 403,
      detail: 'because permission_denied',
      headers: {},
    },
  ],
  ['policy deny', policyDenied, 'enforce', undefined, { kind: 'refuse', code: 'policy_denied', status: 403 }],
  // decide fails closed with a deny even for a monitor-mode agent: refused, recorded in monitor mode.
  [
    'deny, monitor (decide failed closed)',
    policyDenied,
    'monitor',
    undefined,
    { kind: 'refuse', mode: 'monitor', code: 'policy_denied' },
  ],
  [
    'deny, rate limit exceeded: the deny, not the limit',
    permissionDenied,
    'enforce',
    limited,
    { kind: 'refuse', code: 'permission_denied', rateLimited: false },
  ],
  // require_approval holds, with the decision's approval settings.
  [
    'require approval',
    needsApproval,
    'enforce',
    undefined,
    { kind: 'hold', mode: 'enforce', code: 'approval_required', approval, rateLimited: false },
  ],
  [
    'require approval, rate limit exceeded: still a hold',
    needsApproval,
    'enforce',
    limited,
    { kind: 'hold', code: 'approval_required' },
  ],
  // A decision without reasons is worded by its code.
  [
    'no reasons',
    decision('deny', 'permission_denied', { reasons: [] }),
    'enforce',
    undefined,
    { kind: 'refuse', detail: 'permission denied' },
  ],
];

describe('outcome', () => {
  it.each(table)('%s', (_name, d, mode, rateLimit, expected) => {
    expect(outcome({ decision: d, mode, rateLimit })).toMatchObject(expected);
  });

  it('asks the rate limiter only about allowed requests', () => {
    expect(takesRateLimitToken(allowed)).toBe(true);
    expect(takesRateLimitToken(wouldDeny)).toBe(true);
    for (const d of [kill, permissionDenied, policyDenied, needsApproval]) {
      expect(takesRateLimitToken(d)).toBe(false);
    }
  });

  it('names the verdict each kind amounts to', () => {
    const verdicts = [allowed, wouldDeny, permissionDenied, needsApproval, kill].map((d) =>
      outcomeVerdict(outcome({ decision: d, mode: d.wouldHave ? 'monitor' : 'enforce' })),
    );
    expect(verdicts).toEqual(['allow', 'allow', 'deny', 'require_approval', 'deny']);
  });

  it('agrees with decide for a monitor-mode agent under a kill switch and under a denying policy', () => {
    const policies = compilePolicies([
      { name: 'no-deletes', rules: [{ name: 'r', decision: 'deny', reason: 'never' }] },
    ] as PolicyDocument[]);
    const request = (mode: AgentMode) => ({
      agent: { name: 'bot', mode, labels: {} },
      connector: { name: 'gh', type: 'github' },
      action: 'github.repo.delete',
      params: {},
      risk: 'high' as const,
      method: 'DELETE',
      host: 'api.github.com',
      path: '/repos/a/b',
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const permissions = [{ id: '1', agent: 'bot', connector: 'gh', action: '*', decision: 'allow' as const }];
    const killed = decide(
      { permissions, policies, killSwitch: [{ scope: 'all', activatedAt: '2026-01-01T00:00:00Z' }] },
      request('monitor'),
    );
    expect(outcome({ decision: killed, mode: 'monitor' })).toMatchObject({
      kind: 'refuse',
      code: 'kill_switch_active',
    });
    const denied = decide({ permissions, policies, killSwitch: [] }, request('monitor'));
    expect(outcome({ decision: denied, mode: 'monitor' })).toMatchObject({
      kind: 'monitor-forward',
      code: 'policy_denied',
      wouldHave: 'deny',
    });
    const enforced = decide({ permissions, policies, killSwitch: [] }, request('enforce'));
    expect(outcome({ decision: enforced, mode: 'enforce' })).toMatchObject({
      kind: 'refuse',
      code: 'policy_denied',
    });
  });
});
