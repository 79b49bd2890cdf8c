import { describe, expect, it } from 'vitest';
import { type DecisionState, decide, decisionDetail } from './decide.js';
import { compilePolicies, emptyPolicySet } from './evaluate.js';
import type { PolicyDocument } from './policy-types.js';
import type { DecisionRequest, PermissionRule } from './types.js';

const allowAll: PermissionRule[] = [
  { id: '1', agent: 'pay-bot', connector: 'stripe', action: '*', decision: 'allow' },
];

function request(over: Partial<DecisionRequest> = {}): DecisionRequest {
  return {
    agent: { name: 'pay-bot', mode: 'enforce', labels: { environment: 'production' } },
    connector: { name: 'stripe', type: 'stripe' },
    action: 'stripe.refund.create',
    params: { amount: 6000 },
    risk: 'high',
    method: 'POST',
    host: 'api.stripe.com',
    path: '/v1/refunds',
    now: new Date('2025-01-07T10:00:00Z'),
    ...over,
  };
}

function state(policies: unknown[], over: Partial<DecisionState> = {}): DecisionState {
  return {
    permissions: allowAll,
    policies: compilePolicies(policies as PolicyDocument[]),
    killSwitch: [],
    ...over,
  };
}

describe('decide', () => {
  it('explains an allow with the permission', () => {
    const d = decide(state([]), request());
    expect(d).toEqual({
      verdict: 'allow',
      code: 'allowed',
      reasons: ['permission #1 (agent pay-bot, connector stripe, *) → allow'],
      permission: allowAll[0],
      matchedRules: [],
    });
  });

  it('puts the deciding rule first and keeps every other match after it', () => {
    const d = decide(
      state([
        { name: 'a', priority: 1, rules: [{ name: 'note', decision: 'allow', reason: 'seen' }] },
        {
          name: 'b',
          priority: 2,
          rules: [{ name: 'big', decision: 'deny', reason: 'refunds above 50.00 need finance' }],
        },
      ]),
      request(),
    );
    expect(d.reasons).toEqual([
      'policy b / rule big → deny: refunds above 50.00 need finance',
      'permission #1 (agent pay-bot, connector stripe, *) → allow',
      'policy a / rule note → allow: seen',
    ]);
    expect(decisionDetail(d)).toBe(d.reasons.join('; '));
    expect(d.matchedRules.map((m) => m.rule)).toEqual(['note', 'big']);
  });

  it('orders policies by priority, then name', () => {
    const docs = ['z', 'a', 'm'].map((name, i) => ({
      name,
      priority: i === 0 ? 1 : 5,
      rules: [{ name: 'r', decision: 'allow' }],
    }));
    expect(decide(state(docs), request()).matchedRules.map((m) => m.policy)).toEqual(['z', 'a', 'm']);
  });

  it('leaves monitor-mode rules out of the risk score and approval settings', () => {
    const d = decide(
      state([
        {
          name: 'shadow',
          mode: 'monitor',
          rules: [
            { name: 'r', decision: 'require_approval', risk_score: 99, approval: { timeout_seconds: 5 } },
          ],
        },
        { name: 'live', rules: [{ name: 'r', decision: 'require_approval', risk_score: 10 }] },
      ]),
      request(),
    );
    expect(d.verdict).toBe('require_approval');
    expect(d.riskScore).toBe(10);
    expect(d.approval).toBeUndefined();
    expect(d.matchedRules.find((m) => m.policy === 'shadow')?.monitor).toBe(true);
  });

  it('ignores approval settings on rules that do not hold (SPEC example has one on a deny)', () => {
    const d = decide(
      state([{ name: 'p', rules: [{ name: 'r', decision: 'allow', approval: { timeout_seconds: 5 } }] }]),
      request(),
    );
    expect(d.approval).toBeUndefined();
  });

  it('a disabled policy is not consulted', () => {
    expect(
      decide(state([{ name: 'p', enabled: false, rules: [{ name: 'r', decision: 'deny' }] }]), request())
        .verdict,
    ).toBe('allow');
  });

  it('a document that fails validation denies within its scope (fails closed)', () => {
    const s = state([
      {
        name: 'broken',
        scope: { connectors: ['stripe'] },
        rules: [{ name: 'r', decision: 'deny', when: { field: 'x', operator: 'equals', value: 1 } }],
      },
    ]);
    expect(s.policies.invalid).toMatchObject([{ name: 'broken', errors: [{ path: 'rules[0].when.field' }] }]);
    const d = decide(s, request());
    expect(d).toMatchObject({ verdict: 'deny', code: 'policy_denied' });
    expect(d.reasons[0]).toContain(
      'policy broken / rule invalid-policy → deny: the policy document is invalid: rules[0].when.field',
    );
    const outside = { ...s, permissions: [{ ...allowAll[0]!, connector: 'github' }] };
    expect(
      decide(outside, request({ connector: { name: 'github', type: 'github' }, action: 'github.repo.get' }))
        .verdict,
    ).toBe('allow');
  });

  it('kill switch: scopes and the reason in words', () => {
    const at = '2025-01-07T09:00:00Z';
    const cases: [DecisionState['killSwitch'], boolean][] = [
      [[{ scope: 'all', activatedAt: at }], true],
      [[{ scope: 'agent:pay-bot', activatedAt: at }], true],
      [[{ scope: 'agent:other', activatedAt: at }], false],
      [[{ scope: 'connector:stripe', activatedAt: at }], true],
      [[{ scope: 'connector:github', activatedAt: at }], false],
      [[{ scope: 'bogus' as 'all', activatedAt: at }], true],
    ];
    for (const [killSwitch, stops] of cases) {
      const d = decide(
        state([], { killSwitch }),
        request({ connector: { name: 'billing', type: 'stripe' } }),
      );
      expect(d.code, killSwitch[0]!.scope).toBe(stops ? 'kill_switch_active' : 'permission_denied');
    }
    const d = decide(
      state([], { killSwitch: [{ scope: 'connector:billing', reason: 'incident', activatedAt: at }] }),
      request({ connector: { name: 'billing', type: 'stripe' } }),
    );
    expect(d.reasons).toEqual([
      'kill switch active (scope connector:billing) since 2025-01-07T09:00:00Z: incident',
    ]);
  });

  it('monitor-mode agent: forwarded, enforce verdict and code kept', () => {
    const s = state([{ name: 'p', rules: [{ name: 'r', decision: 'deny', reason: 'no' }] }]);
    const d = decide(s, request({ agent: { name: 'pay-bot', mode: 'monitor', labels: {} } }));
    expect(d).toMatchObject({ verdict: 'allow', wouldHave: 'deny', code: 'policy_denied' });
    expect(d.reasons[0]).toBe(
      'agent pay-bot is in monitor mode: forwarded, but would have been denied (policy_denied)',
    );
    expect(d.reasons[1]).toBe('policy p / rule r → deny: no');
  });

  it('reads time from a Date, an ISO string or epoch ms', () => {
    const s = state([
      {
        name: 'p',
        rules: [{ name: 'night', decision: 'deny', when: { field: 'time.hour', operator: 'lt', value: 6 } }],
      },
    ]);
    const at = '2025-01-07T03:00:00Z';
    for (const now of [new Date(at), at, Date.parse(at)]) {
      expect(decide(s, request({ now: now as Date })).verdict).toBe('deny');
    }
    expect(decide(s, request({ now: 'not a time' as unknown as Date })).verdict).toBe('allow');
  });

  it('works without policies compiled', () => {
    expect(
      decide({ permissions: allowAll, policies: emptyPolicySet(), killSwitch: [] }, request()).verdict,
    ).toBe('allow');
  });

  it('never throws on a malformed request or state', () => {
    const s = state([
      {
        name: 'p',
        rules: [
          { name: 'r', decision: 'deny', when: { field: 'params.a.b', operator: 'matches', value: 'x' } },
        ],
      },
    ]);
    const garbage = [
      {},
      { agent: null, connector: 5, action: 7, params: 'x', now: 'yesterday' },
      { ...request(), params: null, now: new Date(Number.NaN) },
      { ...request(), agent: { name: 'pay-bot', labels: null, mode: 'monitor' } },
    ];
    for (const g of garbage) {
      const d = decide(s, g as unknown as DecisionRequest);
      expect(d.reasons.join(' ')).not.toContain('internal error');
    }
    expect(decide({} as DecisionState, request()).verdict).toBe('deny');
  });
});
