// Properties of the decision core over generated policies and requests: it never throws (and never
// reaches its own last-resort catch), it is deterministic, and it is monotonic: adding a deny rule
// can only make an outcome stricter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { compilePolicies } from './evaluate.js';
import { FIXED_FIELDS } from './fields.js';
import { OPERATORS } from './operators.js';
import { verdictSeverity } from './permissions.js';
import { parsePolicyDocument } from './policy-schema.js';
import type { PolicyDocument } from './policy-types.js';
import type { DecisionRequest, PermissionRule } from './types.js';

const FIELDS = [...FIXED_FIELDS, 'labels.env', 'params.amount', 'params.a.b', 'params.list', 'params.flag'];

const value = fc.oneof(
  fc.integer({ min: -10, max: 10_000 }),
  fc.constantFrom(
    'main',
    'low',
    'high',
    'mon',
    'x',
    '5000',
    '^a.*b$',
    'true',
    'stripe.refund.create',
    'POST',
    '(a+)+',
  ),
  fc.boolean(),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom('a', 'low', 'sat')), { maxLength: 3 }),
  fc.constant(undefined),
);

const leaf = fc.record({ field: fc.constantFrom(...FIELDS), operator: fc.constantFrom(...OPERATORS), value });

const { condition } = fc.letrec<{ condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('condition'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('condition'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('condition') }),
  ),
}));

const rule = fc.record(
  {
    name: fc.constantFrom('r1', 'r2', 'r3'),
    when: condition,
    decision: fc.constantFrom('allow', 'deny', 'require_approval'),
    risk_score: fc.integer({ min: 0, max: 100 }),
  },
  { requiredKeys: ['name', 'decision'] },
);

const policyDoc = fc
  .record(
    {
      name: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
      priority: fc.integer({ min: 0, max: 5 }),
      mode: fc.constantFrom('enforce', 'monitor'),
      enabled: fc.boolean(),
      scope: fc.record(
        {
          agents: fc.constant(['a']),
          connectors: fc.constant(['stripe']),
          labels: fc.constant({ env: 'prod' }),
        },
        { requiredKeys: [] },
      ),
      rules: fc.uniqueArray(rule, { minLength: 1, maxLength: 3, selector: (r) => r.name }),
    },
    { requiredKeys: ['name', 'rules'] },
  )
  .map((doc) => parsePolicyDocument(doc))
  .filter((r) => r.ok)
  .map((r) => (r as { ok: true; policy: PolicyDocument }).policy);

const policies = fc.uniqueArray(policyDoc, { maxLength: 4, selector: (p) => p.name });

const param = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('6000', 'true', 'main'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
);

const request = fc.record({
  agent: fc.record({
    name: fc.constantFrom('a', 'b'),
    mode: fc.constant('enforce' as const),
    labels: fc.dictionary(fc.constantFrom('env', 'team'), fc.constantFrom('prod', 'dev')),
  }),
  connector: fc.record({
    name: fc.constantFrom('stripe', 'billing'),
    type: fc.constantFrom('stripe', 'github'),
  }),
  action: fc.constantFrom('stripe.refund.create', 'stripe.charge.list', 'github.repo.delete'),
  params: fc.record(
    { amount: param, a: fc.oneof(fc.record({ b: param }), param), list: param, flag: param },
    { requiredKeys: [] },
  ),
  risk: fc.constantFrom('low' as const, 'medium' as const, 'high' as const),
  method: fc.constantFrom('GET', 'post', 'DELETE'),
  host: fc.constantFrom('api.stripe.com', 'API.STRIPE.COM', ''),
  path: fc.constantFrom('/', '/v1/refunds', '/admin/x'),
  now: fc.date({ noInvalidDate: false }),
});

const permissions = (req: DecisionRequest): PermissionRule[] => [
  { id: '1', agent: req.agent.name, connector: req.connector.name, action: '*', decision: 'allow' },
];

const runs = { numRuns: 200 };

describe('decide properties', () => {
  it('never throws and never falls back to its last-resort catch', () => {
    fc.assert(
      fc.property(policies, request, (docs, req) => {
        const d = decide(
          { permissions: permissions(req), policies: compilePolicies(docs), killSwitch: [] },
          req,
        );
        expect(d.reasons.join('\n')).not.toContain('internal error');
      }),
      runs,
    );
  });

  it('never throws on arbitrary values in place of documents and requests', () => {
    fc.assert(
      fc.property(fc.array(fc.anything(), { maxLength: 3 }), fc.anything(), (docs, req) => {
        const compiled = compilePolicies(docs as PolicyDocument[]);
        const d = decide({ permissions: [], policies: compiled, killSwitch: [] }, req as DecisionRequest);
        expect(['allow', 'deny', 'require_approval']).toContain(d.verdict);
        expect(d.reasons.join('\n')).not.toContain('internal error');
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(policies, request, (docs, req) => {
        const once = decide(
          { permissions: permissions(req), policies: compilePolicies(docs), killSwitch: [] },
          req,
        );
        const twice = decide(
          { permissions: permissions(req), policies: compilePolicies([...docs].reverse()), killSwitch: [] },
          req,
        );
        expect(twice).toEqual(once);
      }),
      runs,
    );
  });

  it('adding a deny rule never loosens a decision', () => {
    const denyRule = fc.record(
      { name: fc.constant('added'), when: condition, decision: fc.constant('deny') },
      { requiredKeys: ['name', 'decision'] },
    );
    fc.assert(
      fc.property(policies, request, denyRule, fc.nat(), (docs, req, extra, pick) => {
        const before = decide(
          { permissions: permissions(req), policies: compilePolicies(docs), killSwitch: [] },
          req,
        );
        // Either into an existing policy or as a policy of its own.
        const target = docs.length > 0 ? pick % (docs.length + 1) : 0;
        const withRule =
          target < docs.length
            ? docs.map((p, i) => (i === target ? { ...p, rules: [...p.rules, extra] } : p))
            : [...docs, { name: 'added', rules: [extra] }];
        const after = decide(
          {
            permissions: permissions(req),
            policies: compilePolicies(withRule as PolicyDocument[]),
            killSwitch: [],
          },
          req,
        );
        expect(verdictSeverity(after.verdict)).toBeGreaterThanOrEqual(verdictSeverity(before.verdict));
        if (before.verdict === 'deny') expect(after.verdict).toBe('deny');
      }),
      runs,
    );
  });
});
