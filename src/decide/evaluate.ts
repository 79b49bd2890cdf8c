// Policies compiled once per configuration change into closures (scope sets, precompiled regexes,
// resolved field accessors), so deciding is a walk over functions with no parsing or allocation
// beyond the matches it records. A document that fails validation here compiles to a policy that
// denies within its scope: the gateway must not fail open because a bad document slipped through.
import { fieldSpec } from './fields.js';
import { compileLeafTest } from './operators.js';
import { compileActionPattern } from './patterns.js';
import { readPolicy } from './policy-schema.js';
import type { Condition, PolicyDocument } from './policy-types.js';
import { type SchemaError, toSchemaErrors } from './schema-reader.js';
import type { ApprovalSettings, DecisionRequest, MatchedRule, Verdict } from './types.js';

type Predicate = (req: DecisionRequest) => boolean;
type ScopeTest = (req: DecisionRequest, actionSegments: readonly string[]) => boolean;

export interface CompiledRule {
  name: string;
  decision: Verdict;
  reason: string;
  riskScore?: number | undefined;
  approval?: ApprovalSettings | undefined;
  test: Predicate;
}

export interface CompiledPolicy {
  name: string;
  priority: number;
  monitor: boolean;
  inScope: ScopeTest;
  rules: CompiledRule[];
}

export interface CompiledPolicySet {
  /** Enabled policies, sorted by priority then name. */
  policies: readonly CompiledPolicy[];
  /** Documents that failed validation; each was compiled as deny-within-scope. */
  invalid: { name: string; errors: SchemaError[] }[];
}

export function compilePolicies(docs: readonly PolicyDocument[]): CompiledPolicySet {
  const policies: CompiledPolicy[] = [];
  const invalid: CompiledPolicySet['invalid'] = [];
  (Array.isArray(docs) ? docs : []).forEach((doc, i) => {
    const read = readPolicy(doc);
    if (read.ok) {
      if (read.value.enabled) policies.push(compilePolicy(read.value));
      return;
    }
    const raw = (doc ?? {}) as Partial<Record<keyof PolicyDocument, unknown>>;
    if (raw.enabled === false) return;
    const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `#${i}`;
    const errors = toSchemaErrors(read.issues);
    invalid.push({ name, errors });
    const scopeOk = !read.issues.some((issue) => issue.segments[0] === 'scope');
    policies.push(
      failClosedPolicy(name, errors, scopeOk ? (raw.scope as PolicyDocument['scope']) : undefined),
    );
  });
  policies.sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { policies, invalid };
}

export function emptyPolicySet(): CompiledPolicySet {
  return { policies: [], invalid: [] };
}

/** Every rule of every enabled, in-scope policy whose condition holds, in evaluation order. */
export function evaluatePolicies(set: CompiledPolicySet, req: DecisionRequest): MatchedRule[] {
  const matched: MatchedRule[] = [];
  if (set.policies.length === 0) return matched;
  const segments = typeof req.action === 'string' ? req.action.split('.') : [];
  for (const policy of set.policies) {
    if (!policy.inScope(req, segments)) continue;
    for (const rule of policy.rules) {
      if (!rule.test(req)) continue;
      const m: MatchedRule = {
        policy: policy.name,
        rule: rule.name,
        decision: rule.decision,
        reason: rule.reason,
        monitor: policy.monitor,
      };
      if (rule.riskScore !== undefined) m.riskScore = rule.riskScore;
      if (rule.approval !== undefined) m.approval = rule.approval;
      matched.push(m);
    }
  }
  return matched;
}

function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  return {
    name: doc.name,
    priority: doc.priority,
    monitor: doc.mode === 'monitor',
    inScope: compileScope(doc.scope),
    rules: doc.rules.map((rule) => {
      const compiled: CompiledRule = {
        name: rule.name,
        decision: rule.decision,
        reason: rule.reason ?? '',
        test: rule.when === undefined ? () => true : compileCondition(rule.when),
      };
      if (rule.risk_score !== undefined) compiled.riskScore = rule.risk_score;
      if (rule.approval !== undefined) {
        compiled.approval = {};
        if (rule.approval.timeout_seconds !== undefined)
          compiled.approval.timeoutSeconds = rule.approval.timeout_seconds;
        if (rule.approval.approver_roles !== undefined)
          compiled.approval.approverRoles = rule.approval.approver_roles;
      }
      return compiled;
    }),
  };
}

function failClosedPolicy(
  name: string,
  errors: SchemaError[],
  scope: PolicyDocument['scope'],
): CompiledPolicy {
  const first = errors[0];
  const detail = first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  return {
    name,
    priority: -1,
    monitor: false,
    inScope: compileScope(scope),
    rules: [
      {
        name: 'invalid-policy',
        decision: 'deny',
        reason: `the policy document is invalid${detail}`,
        test: () => true,
      },
    ],
  };
}

function compileScope(scope: PolicyDocument['scope']): ScopeTest {
  const tests: ScopeTest[] = [];
  if (scope?.agents !== undefined) {
    const agents = new Set(scope.agents);
    tests.push((req) => agents.has(req.agent?.name));
  }
  if (scope?.labels !== undefined) {
    const entries = Object.entries(scope.labels);
    tests.push((req) => {
      const labels = req.agent?.labels;
      if (labels === null || typeof labels !== 'object') return entries.length === 0;
      return entries.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);
    });
  }
  if (scope?.connectors !== undefined) {
    // By name or by type, as the kill switch's `connector:` scope: a connector's default name is its type.
    const connectors = new Set(scope.connectors);
    tests.push((req) => connectors.has(req.connector?.name) || connectors.has(req.connector?.type));
  }
  if (scope?.actions !== undefined) {
    const patterns = scope.actions.map(compileActionPattern);
    tests.push((_req, segments) => patterns.some((p) => p(segments)));
  }
  if (tests.length === 0) return () => true;
  return (req, segments) => {
    for (const t of tests) if (!t(req, segments)) return false;
    return true;
  };
}

/** Compiles a validated condition. An uncompilable leaf (never after validation) is false. */
export function compileCondition(condition: Condition): Predicate {
  if ('all' in condition) {
    const parts = condition.all.map(compileCondition);
    return (req) => {
      for (const p of parts) if (!p(req)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const parts = condition.any.map(compileCondition);
    return (req) => {
      for (const p of parts) if (p(req)) return true;
      return false;
    };
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not);
    return (req) => !inner(req);
  }
  const spec = fieldSpec(condition.field);
  const test = spec && compileLeafTest(spec, condition);
  if (spec === undefined || test === undefined) return () => false;
  const resolve = spec.resolve;
  return (req) => test(resolve(req));
}
