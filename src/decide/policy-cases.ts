// The cases file of `tameflare policy test -f POLICY --cases CASES.yaml`: a table of requests and the
// decisions expected for them, so policies get CI like code. Format in docs/policies.md. Parsed with
// the same path-pointing errors as policies (`cases[3].expect.verdict`).

import { isValidActionPattern } from './patterns.js';
import {
  describeType,
  IssueSink,
  isPlainObject,
  type PathSegment,
  readYaml,
  type SchemaError,
  toSchemaErrors,
  withLines,
} from './schema-reader.js';
import type { PermissionRule, Verdict } from './types.js';

export interface PolicyTestCase {
  name: string;
  agent: { name: string; labels: Record<string, string>; mode: 'enforce' | 'monitor' };
  connector: { name: string; type: string };
  action: string;
  params: Record<string, unknown>;
  method: string;
  host: string;
  path: string;
  risk: 'low' | 'medium' | 'high';
  time: string; // ISO-8601
  /** Absent: one `allow *` permission for this agent and connector, so the policies alone decide. */
  permissions?: PermissionRule[] | undefined;
  killSwitch: { scope: string; reason?: string | undefined }[];
  expect: {
    verdict: Verdict;
    code?: string | undefined;
    rules?: string[] | undefined; // `policy/rule` or `rule`; compared as a set with every matched rule
    reasons?: string[] | undefined; // each must appear within some reason line
    riskScore?: number | undefined;
    wouldHave?: Verdict | undefined;
    approval?: { timeoutSeconds?: number | undefined; approverRoles?: string[] | undefined } | undefined;
  };
}

export type CasesParseResult = { ok: true; cases: PolicyTestCase[] } | { ok: false; errors: SchemaError[] };

/** Wednesday noon UTC: cases that do not care about time still decide the same way everywhere. */
export const DEFAULT_CASE_TIME = '2025-01-01T12:00:00.000Z';
const CASE_KEYS = [
  'name',
  'agent',
  'connector',
  'action',
  'params',
  'method',
  'host',
  'path',
  'risk',
  'time',
  'permissions',
  'kill_switch',
  'expect',
];
const EXPECT_KEYS = ['verdict', 'code', 'rules', 'reasons', 'risk_score', 'would_have', 'approval'];
const VERDICTS = ['allow', 'deny', 'require_approval'];
const CODES = ['allowed', 'kill_switch_active', 'permission_denied', 'policy_denied', 'approval_required'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function parsePolicyCases(input: unknown): CasesParseResult {
  const sink = new IssueSink();
  const cases = readCases(input, sink);
  return sink.count > 0 || cases === undefined
    ? { ok: false, errors: toSchemaErrors(sink.issues) }
    : { ok: true, cases };
}

export function parsePolicyCasesYaml(text: string): CasesParseResult {
  const read = readYaml(text);
  if (!read.ok) return read;
  const { docs, lines } = read.source;
  if (docs.length !== 1)
    return { ok: false, errors: [{ path: '', message: `expected one YAML document, found ${docs.length}` }] };
  const sink = new IssueSink();
  const cases = readCases(docs[0]!.value, sink);
  if (sink.count > 0 || cases === undefined)
    return { ok: false, errors: withLines(sink.issues, docs[0]!.doc, lines) };
  return { ok: true, cases };
}

function readCases(input: unknown, sink: IssueSink): PolicyTestCase[] | undefined {
  let list: unknown = input;
  let defaults: Record<string, unknown> = {};
  let at: PathSegment[] = [];
  if (isPlainObject(input)) {
    sink.onlyKeys(input, ['defaults', 'cases'], []);
    if (input.defaults !== undefined) {
      if (!isPlainObject(input.defaults))
        sink.add(['defaults'], `must be an object of case keys, got ${describeType(input.defaults)}`);
      else {
        sink.onlyKeys(
          input.defaults,
          CASE_KEYS.filter((k) => k !== 'name' && k !== 'expect'),
          ['defaults'],
        );
        defaults = input.defaults;
      }
    }
    list = input.cases;
    at = ['cases'];
  }
  if (!Array.isArray(list) || list.length === 0) {
    sink.add(at, `must be a non-empty list of cases, got ${describeType(list)}`);
    return undefined;
  }
  return list
    .map((c, i) => readCase(c, defaults, [...at, i], sink))
    .filter((c): c is PolicyTestCase => c !== undefined);
}

function readCase(input: unknown, defaults: Record<string, unknown>, at: PathSegment[], sink: IssueSink) {
  if (!isPlainObject(input)) {
    sink.add(at, `a case must be an object, got ${describeType(input)}`);
    return undefined;
  }
  const before = sink.count;
  sink.onlyKeys(input, CASE_KEYS, at);
  const c = { ...defaults, ...input };
  // Errors point where the value came from: the case, or the defaults it inherited.
  const field = (key: string): PathSegment[] =>
    !Object.hasOwn(input, key) && Object.hasOwn(defaults, key) ? ['defaults', key] : [...at, key];
  const str = (key: string, fallback?: string): string => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'string')
      sink.add(field(key), v === undefined ? 'is required' : `must be a string, got ${describeType(v)}`);
    return typeof v === 'string' ? v : '';
  };
  const action = str('action');
  if (action !== '' && !isValidActionPattern(action))
    sink.add(field('action'), `"${action}" is not an action name`);
  const agent = readAgent(c.agent, field('agent'), sink);
  const connector = readConnector(c.connector, action.split('.')[0] ?? '', field('connector'), sink);
  const params = c.params ?? {};
  if (!isPlainObject(params)) sink.add(field('params'), `must be an object, got ${describeType(params)}`);
  const risk = str('risk', 'medium');
  if (!['low', 'medium', 'high'].includes(risk)) sink.add(field('risk'), 'must be low, medium or high');
  const time = str('time', DEFAULT_CASE_TIME);
  if (!ISO.test(time) || Number.isNaN(Date.parse(time)))
    sink.add(field('time'), `must be an ISO-8601 time such as ${DEFAULT_CASE_TIME}`);
  const testCase: PolicyTestCase = {
    name: typeof input.name === 'string' ? input.name : `case ${at[at.length - 1]}`,
    agent,
    connector,
    action,
    params: isPlainObject(params) ? params : {},
    method: str('method', 'GET').toUpperCase(),
    host: str('host', '').toLowerCase(),
    path: str('path', '/'),
    risk: risk as PolicyTestCase['risk'],
    time,
    killSwitch: readKillSwitch(c.kill_switch, field('kill_switch'), sink),
    expect: readExpect(input.expect, [...at, 'expect'], sink),
  };
  if (input.name !== undefined && typeof input.name !== 'string')
    sink.add([...at, 'name'], 'must be a string');
  if (c.permissions !== undefined) {
    testCase.permissions = readPermissions(
      c.permissions,
      agent.name,
      connector.name,
      field('permissions'),
      sink,
    );
  }
  return sink.count === before ? testCase : undefined;
}

function readAgent(v: unknown, at: PathSegment[], sink: IssueSink): PolicyTestCase['agent'] {
  if (typeof v === 'string' && v !== '') return { name: v, labels: {}, mode: 'enforce' };
  if (!isPlainObject(v)) {
    sink.add(
      at,
      v === undefined
        ? 'is required (a name or {name, labels, mode})'
        : `must be a name or {name, labels, mode}`,
    );
    return { name: '', labels: {}, mode: 'enforce' };
  }
  sink.onlyKeys(v, ['name', 'labels', 'mode'], at);
  if (typeof v.name !== 'string' || v.name === '') sink.add([...at, 'name'], 'is required');
  const labels: Record<string, string> = {};
  if (v.labels !== undefined) {
    if (!isPlainObject(v.labels)) sink.add([...at, 'labels'], 'must be an object of label: value');
    else
      for (const [k, val] of Object.entries(v.labels)) {
        if (typeof val === 'string') labels[k] = val;
        else sink.add([...at, 'labels', k], `label values are strings (quote it), got ${describeType(val)}`);
      }
  }
  const mode = v.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'monitor') sink.add([...at, 'mode'], 'must be enforce or monitor');
  return {
    name: typeof v.name === 'string' ? v.name : '',
    labels,
    mode: mode === 'monitor' ? 'monitor' : 'enforce',
  };
}

function readConnector(v: unknown, fallback: string, at: PathSegment[], sink: IssueSink) {
  if (v === undefined) return { name: fallback, type: fallback };
  if (typeof v === 'string' && v !== '') return { name: v, type: fallback };
  if (!isPlainObject(v)) {
    sink.add(at, 'must be a connector name or {name, type}');
    return { name: fallback, type: fallback };
  }
  sink.onlyKeys(v, ['name', 'type'], at);
  const name = typeof v.name === 'string' && v.name !== '' ? v.name : undefined;
  const type = typeof v.type === 'string' && v.type !== '' ? v.type : undefined;
  if (v.name !== undefined && name === undefined) sink.add([...at, 'name'], 'must be a non-empty string');
  if (v.type !== undefined && type === undefined) sink.add([...at, 'type'], 'must be a non-empty string');
  return { name: name ?? type ?? fallback, type: type ?? fallback };
}

function readPermissions(v: unknown, agent: string, connector: string, at: PathSegment[], sink: IssueSink) {
  if (!Array.isArray(v)) {
    sink.add(at, `must be a list of {action, decision, agent?, connector?}, got ${describeType(v)}`);
    return [];
  }
  return v.map((p, i): PermissionRule => {
    const here = [...at, i];
    const rule: PermissionRule = { id: `case-${i + 1}`, agent, connector, action: '*', decision: 'deny' };
    if (!isPlainObject(p)) {
      sink.add(here, 'must be {action, decision, agent?, connector?}');
      return rule;
    }
    sink.onlyKeys(p, ['action', 'decision', 'agent', 'connector'], here);
    if (typeof p.action !== 'string' || !isValidActionPattern(p.action))
      sink.add([...here, 'action'], 'must be an action pattern');
    else rule.action = p.action;
    if (typeof p.decision !== 'string' || !VERDICTS.includes(p.decision))
      sink.add([...here, 'decision'], `must be one of ${VERDICTS.join(', ')}`);
    else rule.decision = p.decision as Verdict;
    for (const key of ['agent', 'connector'] as const) {
      if (p[key] === undefined) continue;
      if (typeof p[key] !== 'string') sink.add([...here, key], 'must be a string');
      else rule[key] = p[key];
    }
    return rule;
  });
}

function readKillSwitch(v: unknown, at: PathSegment[], sink: IssueSink): PolicyTestCase['killSwitch'] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    sink.add(at, 'must be a list of scopes (all, agent:NAME, connector:TYPE) or {scope, reason}');
    return [];
  }
  return v.map((e, i) => {
    const entry = typeof e === 'string' ? { scope: e } : isPlainObject(e) ? e : {};
    if (isPlainObject(e)) sink.onlyKeys(e, ['scope', 'reason'], [...at, i]);
    const scope = entry.scope;
    if (typeof scope !== 'string' || !/^(all|agent:.+|connector:.+)$/.test(scope)) {
      sink.add([...at, i], 'must be all, agent:NAME or connector:TYPE (or {scope, reason})');
    }
    return typeof entry.reason === 'string'
      ? { scope: String(scope), reason: entry.reason }
      : { scope: String(scope) };
  });
}

function readExpect(v: unknown, at: PathSegment[], sink: IssueSink): PolicyTestCase['expect'] {
  const out: PolicyTestCase['expect'] = { verdict: 'deny' };
  if (!isPlainObject(v)) {
    sink.add(
      at,
      v === undefined ? 'is required ({verdict, ...})' : `must be an object, got ${describeType(v)}`,
    );
    return out;
  }
  sink.onlyKeys(v, EXPECT_KEYS, at);
  if (typeof v.verdict !== 'string' || !VERDICTS.includes(v.verdict))
    sink.add([...at, 'verdict'], `must be one of ${VERDICTS.join(', ')}`);
  else out.verdict = v.verdict as Verdict;
  if (v.code !== undefined) {
    if (typeof v.code !== 'string' || !CODES.includes(v.code))
      sink.add([...at, 'code'], `must be one of ${CODES.join(', ')}`);
    else out.code = v.code;
  }
  if (v.would_have !== undefined) {
    if (typeof v.would_have !== 'string' || !VERDICTS.includes(v.would_have))
      sink.add([...at, 'would_have'], `must be one of ${VERDICTS.join(', ')}`);
    else out.wouldHave = v.would_have as Verdict;
  }
  for (const key of ['rules', 'reasons'] as const) {
    const list = v[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string'))
      sink.add([...at, key], 'must be a list of strings');
    else out[key] = list as string[];
  }
  if (v.risk_score !== undefined) {
    if (typeof v.risk_score !== 'number' || !Number.isInteger(v.risk_score))
      sink.add([...at, 'risk_score'], 'must be an integer');
    else out.riskScore = v.risk_score;
  }
  if (v.approval !== undefined) out.approval = readExpectedApproval(v.approval, [...at, 'approval'], sink);
  return out;
}

function readExpectedApproval(
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
): PolicyTestCase['expect']['approval'] {
  if (!isPlainObject(v)) {
    sink.add(at, 'must be {timeout_seconds?, approver_roles?}');
    return undefined;
  }
  sink.onlyKeys(v, ['timeout_seconds', 'approver_roles'], at);
  const out: NonNullable<PolicyTestCase['expect']['approval']> = {};
  if (v.timeout_seconds !== undefined) {
    if (typeof v.timeout_seconds !== 'number') sink.add([...at, 'timeout_seconds'], 'must be a number');
    else out.timeoutSeconds = v.timeout_seconds;
  }
  if (v.approver_roles !== undefined) {
    const roles = v.approver_roles;
    if (!Array.isArray(roles) || !roles.every((s) => typeof s === 'string'))
      sink.add([...at, 'approver_roles'], 'must be a list of strings');
    else out.approverRoles = roles as string[];
  }
  return out;
}
