// `tameflare policy test`: runs a table of cases (policy-cases.ts) against policy documents with the
// same decide() the gateway uses, and says for each case what differed. Pure: the CLI reads the
// files, prints formatPolicyTestReport() and sets the exit code from `failed`.
import { type DecisionState, decide } from './decide.js';
import { compilePolicies } from './evaluate.js';
import type { PolicyTestCase } from './policy-cases.js';
import type { PolicyDocument } from './policy-types.js';
import type { Decision, DecisionRequest, KillSwitchEntry, MatchedRule, PermissionRule } from './types.js';

export interface PolicyTestResult {
  index: number;
  name: string;
  pass: boolean;
  /** What differed from the expectation, one line each; empty when the case passed. */
  failures: string[];
  decision: Decision;
  /** The decision in words: verdict and code, then every reason. */
  explanation: string[];
}

export interface PolicyTestReport {
  passed: number;
  failed: number;
  results: PolicyTestResult[];
  /** Policies that failed validation (they deny within their scope; the run fails). */
  invalidPolicies: string[];
}

export function runPolicyTests(
  policies: readonly PolicyDocument[],
  cases: readonly PolicyTestCase[],
): PolicyTestReport {
  const compiled = compilePolicies(policies);
  const results = cases.map((c, index) => runCase(compiled, c, index));
  const invalidPolicies = compiled.invalid.map(
    (p) => `${p.name}: ${p.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
  );
  const passed = results.filter((r) => r.pass).length;
  return { passed, failed: results.length - passed + invalidPolicies.length, results, invalidPolicies };
}

export function caseRequest(c: PolicyTestCase): DecisionRequest {
  return {
    agent: { name: c.agent.name, mode: c.agent.mode, labels: c.agent.labels },
    connector: c.connector,
    action: c.action,
    params: c.params,
    risk: c.risk,
    method: c.method,
    host: c.host,
    path: c.path,
    now: new Date(c.time),
  };
}

function runCase(policies: DecisionState['policies'], c: PolicyTestCase, index: number): PolicyTestResult {
  const permissions: PermissionRule[] = c.permissions ?? [
    { id: 'case-default', agent: c.agent.name, connector: c.connector.name, action: '*', decision: 'allow' },
  ];
  const killSwitch = c.killSwitch.map(
    (k): KillSwitchEntry => ({ ...k, scope: k.scope as KillSwitchEntry['scope'], activatedAt: c.time }),
  );
  const decision = decide({ permissions, policies, killSwitch }, caseRequest(c));
  const failures = compare(c.expect, decision);
  const head = `${decision.verdict} (${decision.code})${decision.wouldHave ? `, would have: ${decision.wouldHave}` : ''}`;
  return {
    index,
    name: c.name,
    pass: failures.length === 0,
    failures,
    decision,
    explanation: [head, ...decision.reasons],
  };
}

function compare(expect: PolicyTestCase['expect'], d: Decision): string[] {
  const out: string[] = [];
  const check = (what: string, want: unknown, got: unknown) => {
    if (want !== undefined && JSON.stringify(want) !== JSON.stringify(got)) {
      out.push(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got ?? null)}`);
    }
  };
  check('verdict', expect.verdict, d.verdict);
  check('code', expect.code, d.code);
  check('would_have', expect.wouldHave, d.wouldHave);
  check('risk_score', expect.riskScore, d.riskScore);
  if (expect.approval !== undefined) {
    check('approval.timeout_seconds', expect.approval.timeoutSeconds, d.approval?.timeoutSeconds);
    if (expect.approval.approverRoles !== undefined) {
      check(
        'approval.approver_roles',
        [...expect.approval.approverRoles].sort(),
        [...(d.approval?.approverRoles ?? [])].sort(),
      );
    }
  }
  if (expect.rules !== undefined) out.push(...compareRules(expect.rules, d.matchedRules));
  for (const want of expect.reasons ?? []) {
    if (!d.reasons.some((r) => r.includes(want))) out.push(`reasons: none contains ${JSON.stringify(want)}`);
  }
  return out;
}

/** Expected names against every matched rule, as a set; `rule` alone matches any policy's rule. */
function compareRules(expected: readonly string[], matched: readonly MatchedRule[]): string[] {
  const left = matched.map((m) => `${m.policy}/${m.rule}`);
  const out: string[] = [];
  for (const want of expected) {
    const i = left.findIndex((full) => full === want || (!want.includes('/') && full.endsWith(`/${want}`)));
    if (i < 0) out.push(`rules: expected ${want} to match, it did not`);
    else left.splice(i, 1);
  }
  for (const extra of left) out.push(`rules: ${extra} matched, not expected`);
  return out;
}

export function formatPolicyTestReport(report: PolicyTestReport): string {
  const lines: string[] = [];
  for (const p of report.invalidPolicies) lines.push(`INVALID POLICY ${p}`);
  for (const r of report.results) {
    lines.push(`${r.pass ? 'PASS' : 'FAIL'} ${r.name}`);
    if (!r.pass) {
      for (const f of r.failures) lines.push(`  ✗ ${f}`);
      for (const e of r.explanation) lines.push(`    ${e}`);
    }
  }
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}
