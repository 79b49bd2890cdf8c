// Validation of a configuration document, with errors that point at the exact place
// (`agents[1].labels.env`, `policies[0].rules[2].when.operator`) and, for YAML, its line. Defaults
// are filled in here (a connector's domains and auth from its type) so that comparing a document
// with the live configuration compares like with like. Unknown keys are errors, as in policies.
import { isValidActionPattern } from '../../decide/patterns.js';
import { readPolicy } from '../../decide/policy-schema.js';
import {
  describeType,
  IssueSink,
  isPlainObject,
  lineOf,
  type PathSegment,
  readYaml,
  type SchemaError,
  toSchemaErrors,
} from '../../decide/schema-reader.js';
import {
  CONFIG_DOCUMENT_VERSION,
  type ConfigAgent,
  type ConfigDocument,
  type ConfigPermission,
  type ConfigRateLimit,
  permissionKey,
} from './config-document.js';
import { readBoolean, readEnum, readName, readObject, readOptional } from './config-readers.js';
import { readConnector } from './read-config-connector.js';

export type LineLocator = (segments: readonly PathSegment[]) => number | undefined;

export type ConfigParseResult =
  | { ok: true; document: ConfigDocument; lineOf: LineLocator }
  | { ok: false; errors: SchemaError[] };

const LABEL_KEY = /^[A-Za-z0-9_.-]{1,63}$/;
const VERDICTS = ['allow', 'deny', 'require_approval'];
const TOP_KEYS = ['version', 'agents', 'connectors', 'permissions', 'policies', 'rate_limits'];

/** YAML or JSON text (JSON is read as YAML, which it is a subset of). */
export function parseConfigText(text: string): ConfigParseResult {
  const read = readYaml(text);
  if (!read.ok) return read;
  const { docs, lines } = read.source;
  if (docs.length !== 1) {
    return { ok: false, errors: [{ path: '', message: `expected one YAML document, found ${docs.length}` }] };
  }
  const { value, doc } = docs[0]!;
  const locate: LineLocator = (segments) => lineOf(doc, lines, segments);
  const sink = new IssueSink();
  const document = readDocument(value, sink);
  if (sink.count > 0 || !document) {
    return {
      ok: false,
      errors: sink.issues.map((i) => ({ ...toSchemaErrors([i])[0]!, line: locate(i.segments) })),
    };
  }
  return { ok: true, document, lineOf: locate };
}

export function parseConfigValue(value: unknown): ConfigParseResult {
  const sink = new IssueSink();
  const document = readDocument(value, sink);
  if (sink.count > 0 || !document) return { ok: false, errors: toSchemaErrors(sink.issues) };
  return { ok: true, document, lineOf: () => undefined };
}

function readDocument(input: unknown, sink: IssueSink): ConfigDocument | undefined {
  if (!isPlainObject(input)) {
    sink.add([], `the configuration must be an object with version: 1, got ${describeType(input)}`);
    return undefined;
  }
  sink.onlyKeys(input, TOP_KEYS, []);
  if (input.version !== CONFIG_DOCUMENT_VERSION)
    sink.add(['version'], `must be ${CONFIG_DOCUMENT_VERSION}, got ${describeType(input.version)}`);
  const doc: ConfigDocument = { version: 1 };
  const agents = readList(input, 'agents', sink, readAgent, (a) => a.name);
  const connectors = readList(input, 'connectors', sink, readConnector, (c) => c.name);
  const permissions = readList(input, 'permissions', sink, readPermission, permissionKey);
  const policies = readList(
    input,
    'policies',
    sink,
    (v, at, s) => {
      const r = readPolicy(v, at);
      if (r.ok) return r.value;
      for (const issue of r.issues) s.add(issue.segments, issue.message);
      return undefined;
    },
    (p) => p.name,
  );
  const rateLimits = readList(
    input,
    'rate_limits',
    sink,
    readRateLimit,
    (r) => `${r.agent}/${r.connector ?? '*'}/${r.action ?? '*'}`,
  );
  if (agents) doc.agents = agents;
  if (connectors) doc.connectors = connectors;
  if (permissions) doc.permissions = permissions;
  if (policies) doc.policies = policies;
  if (rateLimits) doc.rate_limits = rateLimits;
  if (agents) checkPorts(agents, sink);
  return doc;
}

/** A section: absent stays absent (unmanaged); `null` or `[]` is an empty, managed section. */
function readList<T>(
  input: Record<string, unknown>,
  key: string,
  sink: IssueSink,
  read: (v: unknown, at: PathSegment[], sink: IssueSink) => T | undefined,
  identity: (item: T) => string,
): T[] | undefined {
  if (!Object.hasOwn(input, key)) return undefined;
  const v = input[key] ?? [];
  if (!Array.isArray(v)) {
    sink.add([key], `must be a list, got ${describeType(v)}`);
    return undefined;
  }
  const seen = new Map<string, number>();
  const out: T[] = [];
  v.forEach((item, i) => {
    const r = read(item, [key, i], sink);
    if (r === undefined) return;
    const id = identity(r);
    const first = seen.get(id);
    if (first !== undefined) sink.add([key, i], `duplicate of ${key}[${first}] (${id})`);
    else seen.set(id, i);
    out.push(r);
  });
  return out;
}

function readAgent(v: unknown, at: PathSegment[], sink: IssueSink): ConfigAgent | undefined {
  const o = readObject(
    v,
    at,
    sink,
    ['name', 'gateway', 'mode', 'labels', 'port', 'proxy_auth', 'status'],
    'an agent',
  );
  if (!o) return undefined;
  const before = sink.count;
  const name = readName(o.name, [...at, 'name'], sink);
  const gateway = readOptional(o, 'gateway', at, (x, p) => readName(x, p, sink));
  const mode = readOptional(o, 'mode', at, (x, p) => readEnum(x, p, sink, ['enforce', 'monitor'] as const));
  const status = readOptional(o, 'status', at, (x, p) =>
    readEnum(x, p, sink, ['active', 'suspended'] as const),
  );
  const proxyAuth = readOptional(o, 'proxy_auth', at, (x, p) => readBoolean(x, p, sink));
  const port = readOptional(o, 'port', at, (x, p) => {
    if (Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 65_535) return x as number;
    sink.add(p, `must be a port number from 1 to 65535, got ${describeType(x)}`);
    return undefined;
  });
  const labels = readLabels(o.labels, [...at, 'labels'], sink);
  if (sink.count !== before) return undefined;
  const agent: ConfigAgent = {
    name: name!,
    mode: mode ?? 'enforce',
    labels,
    proxy_auth: proxyAuth ?? true,
    status: status ?? 'active',
  };
  if (gateway !== undefined) agent.gateway = gateway;
  if (port !== undefined) agent.port = port;
  return agent;
}

function readLabels(v: unknown, at: PathSegment[], sink: IssueSink): Record<string, string> {
  const labels: Record<string, string> = {};
  if (v === undefined || v === null) return labels;
  if (!isPlainObject(v)) {
    sink.add(at, `must be an object of label: value, got ${describeType(v)}`);
    return labels;
  }
  for (const [k, val] of Object.entries(v)) {
    if (!LABEL_KEY.test(k)) sink.add([...at, k], 'label names are 1-63 of A-Z a-z 0-9 _ . -');
    else if (typeof val !== 'string' || val.length > 200)
      sink.add(
        [...at, k],
        `label values are strings of at most 200 characters (quote it), got ${describeType(val)}`,
      );
    else labels[k] = val;
  }
  return labels;
}

function checkPorts(agents: readonly ConfigAgent[], sink: IssueSink): void {
  const seen = new Map<string, number>();
  agents.forEach((a, i) => {
    if (a.port === undefined) return;
    const key = `${a.gateway ?? ''}:${a.port}`;
    const first = seen.get(key);
    if (first !== undefined)
      sink.add(['agents', i, 'port'], `port ${a.port} is also the port of agents[${first}]`);
    else seen.set(key, i);
  });
}

function readPermission(v: unknown, at: PathSegment[], sink: IssueSink): ConfigPermission | undefined {
  const o = readObject(v, at, sink, ['agent', 'connector', 'action', 'decision'], 'a permission');
  if (!o) return undefined;
  const before = sink.count;
  const agent = readName(o.agent, [...at, 'agent'], sink);
  const connector = readName(o.connector, [...at, 'connector'], sink);
  if (typeof o.action !== 'string' || !isValidActionPattern(o.action))
    sink.add(
      [...at, 'action'],
      `must be an action pattern (e.g. github.pr.*, *), got ${describeType(o.action)}`,
    );
  const decision = readEnum(o.decision, [...at, 'decision'], sink, VERDICTS);
  if (sink.count !== before) return undefined;
  return {
    agent: agent!,
    connector: connector!,
    action: o.action as string,
    decision: decision as ConfigPermission['decision'],
  };
}

function readRateLimit(v: unknown, at: PathSegment[], sink: IssueSink): ConfigRateLimit | undefined {
  const o = readObject(v, at, sink, ['agent', 'connector', 'action', 'rate', 'burst'], 'a rate limit');
  if (!o) return undefined;
  const before = sink.count;
  const agent = readName(o.agent, [...at, 'agent'], sink, true);
  const connector = readOptional(o, 'connector', at, (x, p) => readName(x, p, sink));
  const action = readOptional(o, 'action', at, (x, p) => {
    if (typeof x === 'string' && isValidActionPattern(x)) return x;
    sink.add(p, `must be an action pattern (e.g. stripe.refund.*), got ${describeType(x)}`);
    return undefined;
  });
  const rate = o.rate;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 1_000_000)
    sink.add(
      [...at, 'rate'],
      `must be tokens per second, above 0 and at most 1000000, got ${describeType(rate)}`,
    );
  const burst = o.burst;
  if (!Number.isInteger(burst) || (burst as number) < 1 || (burst as number) > 1_000_000)
    sink.add([...at, 'burst'], `must be a whole number from 1 to 1000000, got ${describeType(burst)}`);
  if (sink.count !== before) return undefined;
  const out: ConfigRateLimit = { agent: agent!, rate: rate as number, burst: burst as number };
  if (connector !== undefined) out.connector = connector;
  if (action !== undefined) out.action = action;
  return out;
}
