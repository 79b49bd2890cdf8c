import { describe, expect, it } from 'vitest';
import { DEFAULT_CASE_TIME, parsePolicyCases, parsePolicyCasesYaml } from './policy-cases.js';
import { parsePolicyYaml } from './policy-schema.js';
import { formatPolicyTestReport, runPolicyTests } from './policy-test-runner.js';

const policyText = `
name: refund-limits
scope: {connectors: [stripe]}
rules:
  - name: big-refunds
    when: {field: params.amount, operator: gt, value: 5000}
    decision: deny
    reason: refunds above 50.00 need finance
`;

const casesText = `
defaults:
  agent: {name: pay-bot, labels: {environment: production}}
  action: stripe.refund.create
cases:
  - name: big refund
    params: {amount: 6000}
    expect: {verdict: deny, code: policy_denied, rules: [refund-limits/big-refunds]}
  - name: wrong on purpose
    params: {amount: 6000}
    expect: {verdict: allow, rules: [small-refunds], reasons: [finance approved]}
`;

describe('policy test runner', () => {
  it('runs cases and explains failures', () => {
    const policy = parsePolicyYaml(policyText);
    const cases = parsePolicyCasesYaml(casesText);
    if (!policy.ok || !cases.ok) throw new Error('fixtures must parse');
    expect(cases.cases[0]).toMatchObject({
      agent: { name: 'pay-bot', labels: { environment: 'production' }, mode: 'enforce' },
      connector: { name: 'stripe', type: 'stripe' },
      method: 'GET',
      path: '/',
      risk: 'medium',
      time: DEFAULT_CASE_TIME,
    });
    const report = runPolicyTests([policy.policy], cases.cases);
    expect(report.passed).toBe(1);
    expect(report.failed).toBe(1);
    expect(report.results[1]!.failures).toEqual([
      'verdict: expected "allow", got "deny"',
      'rules: expected small-refunds to match, it did not',
      'rules: refund-limits/big-refunds matched, not expected',
      'reasons: none contains "finance approved"',
    ]);
    const text = formatPolicyTestReport(report);
    expect(text).toContain('PASS big refund');
    expect(text).toContain('FAIL wrong on purpose');
    expect(text).toContain('    deny (policy_denied)');
    expect(text).toContain(
      'policy refund-limits / rule big-refunds → deny: refunds above 50.00 need finance',
    );
    expect(text.endsWith('1 passed, 1 failed')).toBe(true);
  });

  it('uses the permissions a case gives instead of the default allow', () => {
    const policy = parsePolicyYaml(policyText);
    const cases = parsePolicyCases([
      {
        agent: 'a',
        action: 'stripe.refund.create',
        permissions: [{ action: 'stripe.refund.*', decision: 'require_approval' }],
        expect: { verdict: 'require_approval' },
      },
    ]);
    if (!policy.ok || !cases.ok) throw new Error('fixtures must parse');
    expect(runPolicyTests([policy.policy], cases.cases)).toMatchObject({ passed: 1, failed: 0 });
  });

  it('counts invalid policies as failures', () => {
    const cases = parsePolicyCases([{ agent: 'a', action: 'x.y', expect: { verdict: 'deny' } }]);
    if (!cases.ok) throw new Error('cases must parse');
    const report = runPolicyTests([{ name: 'bad', rules: [] } as never], cases.cases);
    expect(report.invalidPolicies[0]).toContain('bad: rules must be a non-empty list');
    expect(report.failed).toBe(1);
  });
});

describe('parsePolicyCases errors', () => {
  it.each([
    [{ cases: [] }, 'cases', 'non-empty list'],
    [{ cases: [{ agent: 'a', action: 'x.y' }] }, 'cases[0].expect', 'is required'],
    [{ cases: [{ action: 'x.y', expect: { verdict: 'deny' } }] }, 'cases[0].agent', 'is required'],
    [
      { cases: [{ agent: 'a', action: 'x.y', expect: { verdict: 'maybe' } }] },
      'cases[0].expect.verdict',
      'allow, deny',
    ],
    [
      { cases: [{ agent: 'a', action: 'x.y', expect: { verdict: 'deny', code: 'nope' } }] },
      'cases[0].expect.code',
      'must be one of',
    ],
    [
      { cases: [{ agent: 'a', action: 'x.y', time: 'noon', expect: { verdict: 'deny' } }] },
      'cases[0].time',
      'ISO-8601',
    ],
    [
      { cases: [{ agent: { name: 'a', mode: 'shadow' }, action: 'x.y', expect: { verdict: 'deny' } }] },
      'cases[0].agent.mode',
      'enforce or monitor',
    ],
    [
      {
        cases: [
          {
            agent: 'a',
            action: 'x.y',
            permissions: [{ action: 'x.*', decision: 'ok' }],
            expect: { verdict: 'deny' },
          },
        ],
      },
      'cases[0].permissions[0].decision',
      'must be one of',
    ],
    [
      { cases: [{ agent: 'a', action: 'x.y', kill_switch: ['everything'], expect: { verdict: 'deny' } }] },
      'cases[0].kill_switch[0]',
      'all, agent:NAME',
    ],
    [
      { cases: [{ agent: 'a', action: 'x.y', colour: 1, expect: { verdict: 'deny' } }] },
      'cases[0].colour',
      'unknown key',
    ],
    [
      { defaults: { agent: 7 }, cases: [{ action: 'x.y', expect: { verdict: 'deny' } }] },
      'defaults.agent',
      'name or',
    ],
    [
      { defaults: { expect: {} }, cases: [{ agent: 'a', action: 'x.y', expect: { verdict: 'deny' } }] },
      'defaults.expect',
      'unknown key',
    ],
  ])('%j → %s', (doc, path, message) => {
    const result = parsePolicyCases(doc);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(
        result.errors.find((e) => e.path === path && e.message.includes(message)),
        JSON.stringify(result.errors),
      ).toBeDefined();
  });

  it('points at lines in YAML', () => {
    const result = parsePolicyCasesYaml(
      'cases:\n  - agent: a\n    action: x.y\n    expect: {verdict: nope}\n',
    );
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'cases[0].expect.verdict', line: 4 }] });
  });
});
