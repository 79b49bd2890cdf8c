// Validation of policy documents (SPEC 6). Hand-written rather than zod so every error names the
// exact location (`rules[0].when.all[1].operator`) and says what would be accepted there. Users keep
// these files in git: unknown keys are errors, never silently ignored.
import { readCondition } from './condition-schema.js';
import { isValidActionPattern } from './patterns.js';
import type { PolicyDocument, PolicyRule } from './policy-types.js';
import {
  describeType,
  IssueSink,
  isPlainObject,
  NAME_PATTERN,
  type Parsed,
  type PathSegment,
  readYaml,
  type SchemaError,
  toSchemaErrors,
  withLines,
} from './schema-reader.js';
import type { Verdict } from './types.js';

export type { SchemaError } from './schema-reader.js';

export type PolicyParseResult = { ok: true; policy: PolicyDocument } | { ok: false; errors: SchemaError[] };

export const POLICY_KEYS = ['name', 'description', 'enabled', 'priority', 'mode', 'scope', 'rules'];
export const RULE_KEYS = ['name', 'when', 'decision', 'reason', 'risk_score', 'approval'];
const SCOPE_KEYS = ['agents', 'labels', 'connectors', 'actions'];
const APPROVAL_KEYS = ['timeout_seconds', 'approver_roles'];
const VERDICTS: readonly Verdict[] = ['allow', 'deny', 'require_approval'];
export const DEFAULT_PRIORITY = 100;
export const MAX_PRIORITY = 1_000_000;
export const MAX_RULES = 1000;
/** Holds stay below the 300 s after which common HTTP clients give up (SPEC 7). */
export const MAX_HOLD_SECONDS = 299;
const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

export function parsePolicyDocument(input: unknown): PolicyParseResult {
  const r = readPolicy(input);
  return r.ok ? { ok: true, policy: r.value } : { ok: false, errors: toSchemaErrors(r.issues) };
}

/** One policy from YAML (or JSON) text. Errors carry the line they point at. */
export function parsePolicyYaml(text: string): PolicyParseResult {
  const all = parsePolicyYamlAll(text);
  if (!all.ok) return all;
  if (all.policies.length !== 1) {
    return {
      ok: false,
      errors: [{ path: '', message: `expected one policy document, found ${all.policies.length}` }],
    };
  }
  return { ok: true, policy: all.policies[0]! };
}

/** Every policy in a YAML stream (`---` between documents); names must be unique across them. */
export function parsePolicyYamlAll(
  text: string,
): { ok: true; policies: PolicyDocument[] } | { ok: false; errors: SchemaError[] } {
  const read = readYaml(text);
  if (!read.ok) return read;
  const { docs, lines } = read.source;
  const errors: SchemaError[] = [];
  const policies: PolicyDocument[] = [];
  const seen = new Set<string>();
  docs.forEach(({ value, doc }, i) => {
    const r = readPolicy(value);
    const prefix = docs.length > 1 ? `documents[${i}]` : '';
    if (!r.ok) {
      for (const e of withLines(r.issues, doc, lines)) errors.push({ ...e, path: joinPath(prefix, e.path) });
      return;
    }
    if (seen.has(r.value.name))
      errors.push({ path: joinPath(prefix, 'name'), message: `duplicate policy name "${r.value.name}"` });
    seen.add(r.value.name);
    policies.push(r.value);
  });
  if (docs.length === 0) errors.push({ path: '', message: 'no policy document found' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policies };
}

function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  return path === '' ? prefix : path.startsWith('[') ? prefix + path : `${prefix}.${path}`;
}

/** The validator with structured paths, for callers that map issues onto their own documents. */
export function readPolicy(input: unknown, at: PathSegment[] = []): Parsed<PolicyDocument> {
  const sink = new IssueSink();
  if (!isPlainObject(input)) {
    sink.add(at, `a policy must be an object, got ${describeType(input)}`);
    return { ok: false, issues: sink.issues };
  }
  sink.onlyKeys(input, POLICY_KEYS, at);
  const name = readName(input.name, [...at, 'name'], sink, 'policy');
  const description = optional(input, 'description', at, (v, p) => readText(v, p, sink, 2000));
  const enabled = optional(input, 'enabled', at, (v, p) => readBoolean(v, p, sink)) ?? true;
  const priority = optional(input, 'priority', at, (v, p) => readInt(v, p, sink, 0, MAX_PRIORITY));
  const mode = optional(input, 'mode', at, (v, p) => readEnum(v, p, sink, ['enforce', 'monitor'] as const));
  const scope = optional(input, 'scope', at, (v, p) => readScope(v, p, sink));
  const rules = readRules(input.rules, [...at, 'rules'], sink);
  if (sink.count > 0) return { ok: false, issues: sink.issues };
  const policy: PolicyDocument = {
    name: name!,
    enabled,
    priority: priority ?? DEFAULT_PRIORITY,
    mode: mode ?? 'enforce',
    rules: rules!,
  };
  if (description !== undefined) policy.description = description;
  if (scope !== undefined) policy.scope = scope;
  return { ok: true, value: policy };
}

/** Reads `obj[key]` when present; absent keys take their default at the caller. */
function optional<T>(
  obj: Record<string, unknown>,
  key: string,
  at: PathSegment[],
  read: (v: unknown, path: PathSegment[]) => T | undefined,
): T | undefined {
  if (!Object.hasOwn(obj, key) || obj[key] === undefined) return undefined;
  return read(obj[key], [...at, key]);
}

function readName(v: unknown, at: PathSegment[], sink: IssueSink, what: string): string | undefined {
  if (typeof v !== 'string' || !NAME_PATTERN.test(v)) {
    const got = v === undefined ? 'is required' : `is not a valid ${what} name: ${describeType(v)}`;
    sink.add(at, `${got} (letters, digits, ".", "_", "-"; at most 64; starting with a letter or digit)`);
    return undefined;
  }
  return v;
}

function readText(v: unknown, at: PathSegment[], sink: IssueSink, max: number): string | undefined {
  if (typeof v !== 'string') sink.add(at, `must be a string, got ${describeType(v)}`);
  else if (v.length > max) sink.add(at, `is longer than ${max} characters`);
  else return v;
  return undefined;
}

function readBoolean(v: unknown, at: PathSegment[], sink: IssueSink): boolean | undefined {
  if (typeof v === 'boolean') return v;
  sink.add(at, `must be true or false, got ${describeType(v)}`);
  return undefined;
}

function readInt(
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
  min: number,
  max: number,
): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  sink.add(at, `must be an integer from ${min} to ${max}, got ${describeType(v)}`);
  return undefined;
}

function readEnum<T extends string>(
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
  values: readonly T[],
): T | undefined {
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  sink.add(at, `must be one of ${values.join(', ')}, got ${describeType(v)}`);
  return undefined;
}

function readStrings(
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
  check?: (s: string) => string | undefined,
) {
  if (!Array.isArray(v) || v.length === 0) {
    sink.add(at, `must be a non-empty list, got ${describeType(v)}`);
    return undefined;
  }
  const before = sink.count;
  v.forEach((s, i) => {
    if (typeof s !== 'string' || s === '')
      sink.add([...at, i], `must be a non-empty string, got ${describeType(s)}`);
    else {
      const problem = check?.(s);
      if (problem !== undefined) sink.add([...at, i], problem);
    }
  });
  return sink.count === before ? [...new Set(v as string[])] : undefined;
}

function readScope(v: unknown, at: PathSegment[], sink: IssueSink): PolicyDocument['scope'] {
  if (!isPlainObject(v)) {
    sink.add(at, `must be an object with agents, labels, connectors or actions, got ${describeType(v)}`);
    return undefined;
  }
  sink.onlyKeys(v, SCOPE_KEYS, at);
  const scope: NonNullable<PolicyDocument['scope']> = {};
  const agents = optional(v, 'agents', at, (x, p) => readStrings(x, p, sink));
  const connectors = optional(v, 'connectors', at, (x, p) => readStrings(x, p, sink));
  const actions = optional(v, 'actions', at, (x, p) =>
    readStrings(x, p, sink, (s) =>
      isValidActionPattern(s)
        ? undefined
        : `"${s}" is not an action pattern (segments of a-z 0-9 _ or *, dot-separated)`,
    ),
  );
  const labels = optional(v, 'labels', at, (x, p) => readLabels(x, p, sink));
  if (agents !== undefined) scope.agents = agents;
  if (labels !== undefined) scope.labels = labels;
  if (connectors !== undefined) scope.connectors = connectors;
  if (actions !== undefined) scope.actions = actions;
  return scope;
}

function readLabels(v: unknown, at: PathSegment[], sink: IssueSink): Record<string, string> | undefined {
  if (!isPlainObject(v)) {
    sink.add(at, `must be an object of label: value, got ${describeType(v)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string')
      sink.add([...at, k], `label values are strings (quote it), got ${describeType(val)}`);
    else out[k] = val;
  }
  return out;
}

function readRules(v: unknown, at: PathSegment[], sink: IssueSink): PolicyRule[] | undefined {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_RULES) {
    sink.add(at, `must be a non-empty list of rules (at most ${MAX_RULES}), got ${describeType(v)}`);
    return undefined;
  }
  const names = new Map<string, number>();
  const rules = v.map((r, i) => {
    const rule = readRule(r, [...at, i], sink);
    if (rule === undefined) return undefined;
    const first = names.get(rule.name);
    if (first !== undefined)
      sink.add([...at, i, 'name'], `duplicate rule name "${rule.name}" (also rules[${first}])`);
    else names.set(rule.name, i);
    return rule;
  });
  return rules.every((r) => r !== undefined) ? (rules as PolicyRule[]) : undefined;
}

function readRule(v: unknown, at: PathSegment[], sink: IssueSink): PolicyRule | undefined {
  if (!isPlainObject(v)) {
    sink.add(at, `a rule must be an object, got ${describeType(v)}`);
    return undefined;
  }
  const before = sink.count;
  sink.onlyKeys(v, RULE_KEYS, at);
  const name = readName(v.name, [...at, 'name'], sink, 'rule');
  const when = Object.hasOwn(v, 'when') ? readCondition(v.when, [...at, 'when'], sink) : undefined;
  const decision = readEnum(v.decision, [...at, 'decision'], sink, VERDICTS);
  const reason = optional(v, 'reason', at, (x, p) => readText(x, p, sink, 1000));
  const risk = optional(v, 'risk_score', at, (x, p) => readInt(x, p, sink, 0, 100));
  const approval = optional(v, 'approval', at, (x, p) => readApproval(x, p, sink));
  if (sink.count !== before) return undefined;
  const rule: PolicyRule = { name: name!, decision: decision! };
  if (when !== undefined) rule.when = when;
  if (reason !== undefined) rule.reason = reason;
  if (risk !== undefined) rule.risk_score = risk;
  if (approval !== undefined) rule.approval = approval;
  return rule;
}

function readApproval(v: unknown, at: PathSegment[], sink: IssueSink): PolicyRule['approval'] {
  if (!isPlainObject(v)) {
    sink.add(at, `must be an object with timeout_seconds and/or approver_roles, got ${describeType(v)}`);
    return undefined;
  }
  sink.onlyKeys(v, APPROVAL_KEYS, at);
  const out: NonNullable<PolicyRule['approval']> = {};
  const timeout = optional(v, 'timeout_seconds', at, (x, p) => readInt(x, p, sink, 1, MAX_HOLD_SECONDS));
  const roles = optional(v, 'approver_roles', at, (x, p) =>
    readStrings(x, p, sink, (s) => (ROLE_PATTERN.test(s) ? undefined : `"${s}" is not a role name`)),
  );
  if (timeout !== undefined) out.timeout_seconds = timeout;
  if (roles !== undefined) out.approver_roles = roles;
  return out;
}
