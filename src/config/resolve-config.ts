// Flags > environment > config.yaml > defaults, resolved by one pure function. A bad value is
// reported with its key and where it came from, so the operator knows which knob to turn.
import { isIP } from 'node:net';
import {
  type Config,
  type ConfigSource,
  type ConfigSources,
  type ConnectToRule,
  DEFAULTS,
  type LogLevel,
  type Role,
  type TrafficLogDurability,
} from './config.js';
import { checkDatabaseUrl } from './database-url.js';
import { Secret } from './secret.js';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly source: string,
    message: string,
  ) {
    super(`invalid ${key} (from ${source}): ${message}`);
    this.name = 'ConfigError';
  }
}

/** Command-line values as commander hands them over (camelCase keys). */
export interface FlagValues {
  dataDir?: string | undefined;
  role?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  gatewayPort?: string | undefined;
  agentPortStart?: string | undefined;
  agentPortEnd?: string | undefined;
  publicUrl?: string | undefined;
  upstreamCa?: string[] | undefined;
  connectTo?: string[] | undefined;
  unsafeAllowPrivateEgress?: string | undefined;
  logLevel?: string | undefined;
  gatewayName?: string | undefined;
  trafficLogDurability?: string | undefined;
  trafficRetentionDays?: string | undefined;
}

export interface ConfigInputs {
  flags: FlagValues;
  env: Readonly<Record<string, string | undefined>>;
  /** Parsed config.yaml of the data dir, if any. */
  file?: Record<string, unknown> | undefined;
}

/** Environment variables whose values are secrets; removed from process.env once read. */
export const SECRET_ENV_VARS = [
  'GATEWAY_SERVICE_TOKEN',
  'MAINTENANCE_SECRET',
  'TAMEFLARE_MASTER_KEY',
  'TAMEFLARE_TOKEN',
  'TAMEFLARE_ADMIN_PASSWORD',
  'TAMEFLARE_AGENT_KEY',
  'TAMEFLARE_DATABASE_URL',
] as const;

const FILE_KEYS: Record<string, keyof Config> = {
  role: 'role',
  host: 'host',
  port: 'port',
  gateway_port: 'gatewayPort',
  agent_port_start: 'agentPortStart',
  agent_port_end: 'agentPortEnd',
  public_url: 'publicUrl',
  upstream_ca: 'upstreamCaFiles',
  connect_to: 'connectTo',
  unsafe_allow_private_egress: 'allowPrivateEgress',
  log_level: 'logLevel',
  gateway_name: 'gatewayName',
  control_plane_url: 'controlPlaneUrl',
  gateway_url: 'gatewayUrl',
  audit_retention_days: 'auditRetentionDays',
  traffic_retention_days: 'trafficRetentionDays',
  approval_timeout: 'approvalTimeoutSeconds',
  approval_expiry: 'approvalExpirySeconds',
  max_holds_per_agent: 'maxHoldsPerAgent',
  max_body_bytes: 'maxBodyBytes',
  shutdown_grace_ms: 'shutdownGraceMs',
  traffic_log_durability: 'trafficLogDurability',
};
const SECRET_FILE_KEYS = new Set([
  'gateway_service_token',
  'maintenance_secret',
  'master_key',
  'database_url',
]);

interface Candidate {
  value: unknown;
  source: ConfigSource;
  label: string; // e.g. "--port", "TAMEFLARE_PORT", "config.yaml port"
}

export function resolveConfig(inputs: ConfigInputs): { config: Config; sources: ConfigSources } {
  const { flags, env } = inputs;
  const file = inputs.file ?? {};
  for (const key of Object.keys(file)) {
    if (SECRET_FILE_KEYS.has(key)) {
      throw new ConfigError(key, 'config.yaml', 'secrets belong in the environment, not in config.yaml');
    }
    if (!(key in FILE_KEYS)) throw new ConfigError(key, 'config.yaml', 'unknown key');
  }
  const fileValue = (key: string): Candidate | undefined =>
    file[key] === undefined
      ? undefined
      : { value: file[key], source: 'config.yaml', label: `config.yaml ${key}` };
  const flag = (value: unknown, name: string): Candidate | undefined =>
    value === undefined ? undefined : { value, source: 'flag', label: `--${name}` };
  const envValue = (name: string): Candidate | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : { value: v, source: 'env', label: name };
  };
  const pick = (...candidates: (Candidate | undefined)[]) => candidates.find((c) => c !== undefined);

  const sources = {} as ConfigSources;
  function take<T>(
    key: keyof Config,
    fallback: T,
    parse: (c: Candidate) => T,
    ...cands: (Candidate | undefined)[]
  ): T {
    const c = pick(...cands);
    if (!c) {
      sources[key] = 'default';
      return fallback;
    }
    sources[key] = c.source;
    try {
      return parse(c);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(keyLabel(key), c.label, (err as Error).message);
    }
  }

  const dataDir = take(
    'dataDir',
    DEFAULTS.dataDir,
    (c) => nonEmpty(c.value),
    flag(flags.dataDir, 'data-dir'),
    envValue('TAMEFLARE_DATA_DIR'),
  );
  const role = take(
    'role',
    DEFAULTS.role as Role,
    (c) => oneOf(c.value, ['control', 'gateway', 'all'] as const),
    flag(flags.role, 'role'),
    envValue('TAMEFLARE_ROLE'),
    fileValue('role'),
  );
  const host = take(
    'host',
    DEFAULTS.host as string,
    (c) => hostValue(c.value),
    flag(flags.host, 'host'),
    envValue('TAMEFLARE_HOST'),
    fileValue('host'),
  );
  const port = take(
    'port',
    DEFAULTS.port as number,
    (c) => portValue(c.value, true),
    flag(flags.port, 'port'),
    envValue('TAMEFLARE_PORT'),
    fileValue('port'),
  );
  const gatewayPort = take(
    'gatewayPort',
    DEFAULTS.gatewayPort as number,
    (c) => portValue(c.value, true),
    flag(flags.gatewayPort, 'gateway-port'),
    envValue('TAMEFLARE_GATEWAY_PORT'),
    fileValue('gateway_port'),
  );
  const agentPortStart = take(
    'agentPortStart',
    DEFAULTS.agentPortStart as number,
    (c) => portValue(c.value, false),
    flag(flags.agentPortStart, 'agent-port-start'),
    envValue('TAMEFLARE_AGENT_PORT_START'),
    fileValue('agent_port_start'),
  );
  const agentPortEnd = take(
    'agentPortEnd',
    Math.min(agentPortStart + DEFAULTS.agentPortRangeSize - 1, 65_535),
    (c) => {
      const end = portValue(c.value, false);
      if (end < agentPortStart) throw new Error(`must not be below the first agent port ${agentPortStart}`);
      return end;
    },
    flag(flags.agentPortEnd, 'agent-port-end'),
    envValue('TAMEFLARE_AGENT_PORT_END'),
    fileValue('agent_port_end'),
  );
  const publicUrl = take(
    'publicUrl',
    undefined as string | undefined,
    (c) => publicUrlValue(c.value),
    flag(flags.publicUrl, 'public-url'),
    envValue('TAMEFLARE_PUBLIC_URL'),
    fileValue('public_url'),
  );
  const upstreamCaFiles = take(
    'upstreamCaFiles',
    [] as string[],
    (c) => stringList(c.value),
    flag(flags.upstreamCa, 'upstream-ca'),
    envValue('TAMEFLARE_UPSTREAM_CA'),
    fileValue('upstream_ca'),
  );
  const connectTo = take(
    'connectTo',
    [] as ConnectToRule[],
    (c) => stringList(c.value).map(parseConnectTo),
    flag(flags.connectTo, 'connect-to'),
    envValue('TAMEFLARE_CONNECT_TO'),
    fileValue('connect_to'),
  );
  const allowPrivateEgress = take(
    'allowPrivateEgress',
    [] as string[],
    (c) => stringList(c.value).map(cidrValue),
    flag(flags.unsafeAllowPrivateEgress, 'unsafe-allow-private-egress'),
    envValue('TAMEFLARE_UNSAFE_ALLOW_PRIVATE_EGRESS'),
    fileValue('unsafe_allow_private_egress'),
  );
  const logLevel = take(
    'logLevel',
    DEFAULTS.logLevel as LogLevel,
    (c) => oneOf(c.value, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    flag(flags.logLevel, 'log-level'),
    envValue('TAMEFLARE_LOG_LEVEL'),
    fileValue('log_level'),
  );
  const gatewayName = take(
    'gatewayName',
    DEFAULTS.gatewayName as string,
    (c) => nameValue(c.value),
    flag(flags.gatewayName, 'gateway-name'),
    envValue('TAMEFLARE_GATEWAY_NAME'),
    fileValue('gateway_name'),
  );
  const controlPlaneUrl = take(
    'controlPlaneUrl',
    undefined as string | undefined,
    (c) => urlValue(c.value),
    envValue('CONTROL_PLANE_URL'),
    fileValue('control_plane_url'),
  );
  const gatewayUrl = take(
    'gatewayUrl',
    undefined as string | undefined,
    (c) => urlValue(c.value),
    envValue('GATEWAY_URL'),
    fileValue('gateway_url'),
  );
  const auditRetentionDays = take(
    'auditRetentionDays',
    DEFAULTS.auditRetentionDays as number,
    (c) => intValue(c.value, 0, 36_500),
    envValue('AUDIT_RETENTION_DAYS'),
    fileValue('audit_retention_days'),
  );
  const trafficRetentionDays = take(
    'trafficRetentionDays',
    DEFAULTS.trafficRetentionDays as number,
    (c) => intValue(c.value, 0, 36_500),
    flag(flags.trafficRetentionDays, 'traffic-retention-days'),
    envValue('TAMEFLARE_TRAFFIC_RETENTION_DAYS'),
    fileValue('traffic_retention_days'),
  );
  const approvalTimeoutSeconds = take(
    'approvalTimeoutSeconds',
    DEFAULTS.approvalTimeoutSeconds as number,
    (c) => intValue(c.value, 1, 299),
    envValue('TAMEFLARE_APPROVAL_TIMEOUT'),
    fileValue('approval_timeout'),
  );
  const approvalExpirySeconds = take(
    'approvalExpirySeconds',
    DEFAULTS.approvalExpirySeconds as number,
    (c) => intValue(c.value, 60, 7 * 24 * 3600),
    envValue('TAMEFLARE_APPROVAL_EXPIRY'),
    fileValue('approval_expiry'),
  );
  const maxHoldsPerAgent = take(
    'maxHoldsPerAgent',
    DEFAULTS.maxHoldsPerAgent as number,
    (c) => intValue(c.value, 1, 100_000),
    envValue('TAMEFLARE_MAX_HOLDS_PER_AGENT'),
    fileValue('max_holds_per_agent'),
  );
  const maxBodyBytes = take(
    'maxBodyBytes',
    DEFAULTS.maxBodyBytes as number,
    (c) => intValue(c.value, 1024, 1024 * 1024 * 1024),
    envValue('TAMEFLARE_MAX_BODY_BYTES'),
    fileValue('max_body_bytes'),
  );
  const shutdownGraceMs = take(
    'shutdownGraceMs',
    DEFAULTS.shutdownGraceMs as number,
    (c) => intValue(c.value, 0, 600_000),
    envValue('TAMEFLARE_SHUTDOWN_GRACE_MS'),
    fileValue('shutdown_grace_ms'),
  );
  const trafficLogDurability = take(
    'trafficLogDurability',
    DEFAULTS.trafficLogDurability as TrafficLogDurability,
    (c) => oneOf(c.value, ['strict', 'batched'] as const),
    flag(flags.trafficLogDurability, 'traffic-log-durability'),
    envValue('TAMEFLARE_TRAFFIC_LOG_DURABILITY'),
    fileValue('traffic_log_durability'),
  );
  const gatewayServiceToken = take(
    'gatewayServiceToken',
    undefined as Secret | undefined,
    (c) => secretValue(c.value, 16),
    envValue('GATEWAY_SERVICE_TOKEN'),
  );
  const maintenanceSecret = take(
    'maintenanceSecret',
    undefined as Secret | undefined,
    (c) => secretValue(c.value, 16),
    envValue('MAINTENANCE_SECRET'),
  );
  const masterKey = take(
    'masterKey',
    undefined as Secret | undefined,
    (c) => masterKeyValue(c.value),
    envValue('TAMEFLARE_MASTER_KEY'),
  );
  const databaseUrl = take(
    'databaseUrl',
    undefined as Secret | undefined,
    (c) => databaseUrlValue(c.value),
    envValue('TAMEFLARE_DATABASE_URL'),
  );

  // Only a single process binds both ports; split roles may reuse a number on different hosts.
  if (role === 'all' && port !== 0 && port === gatewayPort) {
    throw new ConfigError('port', labelOf(sources.port, '--port'), `equals the gateway port ${gatewayPort}`);
  }

  const config: Config = {
    dataDir,
    role,
    host,
    port,
    gatewayPort,
    agentPortStart,
    agentPortEnd,
    publicUrl,
    upstreamCaFiles,
    connectTo,
    allowPrivateEgress,
    logLevel,
    gatewayName,
    controlPlaneUrl,
    gatewayUrl,
    auditRetentionDays,
    trafficRetentionDays,
    approvalTimeoutSeconds,
    approvalExpirySeconds,
    maxHoldsPerAgent,
    maxBodyBytes,
    shutdownGraceMs,
    trafficLogDurability,
    gatewayServiceToken,
    maintenanceSecret,
    masterKey,
    databaseUrl,
  };
  return { config, sources };
}

/** One line per setting for the start-up log; secrets show only whether they are set. */
export function summarizeConfig(config: Config, sources: ConfigSources): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config) as [keyof Config, unknown][]) {
    let shown: string;
    if (value instanceof Secret) shown = 'set';
    else if (value === undefined) shown = 'unset';
    else if (Array.isArray(value)) shown = JSON.stringify(value);
    else shown = String(value);
    out[key] = `${shown} (${sources[key]})`;
  }
  return out;
}

function keyLabel(key: keyof Config): string {
  return key.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

function labelOf(source: ConfigSource, flagName: string): string {
  return source === 'flag' ? flagName : source;
}

function nonEmpty(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error('must be a non-empty string');
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new Error(`must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

function intValue(v: unknown, min: number, max: number): number {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function portValue(v: unknown, allowZero: boolean): number {
  return intValue(v, allowZero ? 0 : 1, 65_535);
}

function hostValue(v: unknown): string {
  const s = nonEmpty(v);
  if (isIP(s) === 0 && !/^[a-zA-Z0-9.-]+$/.test(s))
    throw new Error(`not a host name or IP address: ${JSON.stringify(s)}`);
  return s;
}

function nameValue(v: unknown): string {
  const s = nonEmpty(v);
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(s))
    throw new Error('must be lower-case letters, digits, - or _ (max 63)');
  return s;
}

function urlValue(v: unknown): string {
  const s = nonEmpty(v);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(s)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error('must be an http:// or https:// URL');
  return s.replace(/\/+$/, '');
}

/**
 * Where agents reach a gateway: what they put in HTTP(S)_PROXY, so plain `http://host:port` (the
 * gateway speaks HTTP to its agents; a path or credentials would be dropped by clients anyway).
 */
function publicUrlValue(v: unknown): string {
  const s = urlValue(v);
  const url = new URL(s);
  if (url.protocol !== 'http:')
    throw new Error('must be an http:// URL (agents speak plain HTTP to the proxy; TLS is inside CONNECT)');
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    throw new Error('must be http://HOST:PORT, without a path, query or credentials');
  return `http://${url.host}`;
}

function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => nonEmpty(x));
  if (typeof v === 'string') {
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  throw new Error('must be a list or a comma-separated string');
}

export function parseConnectTo(spec: string): ConnectToRule {
  // HOST:PORT:TARGET_HOST:TARGET_PORT, as curl's --connect-to; IPv6 targets in brackets.
  const m = /^([^:[\]]+):(\d+):(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d+)$/.exec(spec);
  if (!m) throw new Error(`expected HOST:PORT:TARGET_HOST:TARGET_PORT, got ${JSON.stringify(spec)}`);
  const port = portValue(m[2], false);
  const targetPort = portValue(m[4], false);
  return { host: m[1]!.toLowerCase(), port, targetHost: m[3]!.replace(/^\[|\]$/g, ''), targetPort };
}

function cidrValue(s: string): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const family = m ? isIP(m[1]!) : 0;
  const bits = m ? Number(m[2]) : -1;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) {
    throw new Error(`not a CIDR range: ${JSON.stringify(s)} (e.g. 10.0.0.0/8 or fd00::/8)`);
  }
  return s;
}

function masterKeyValue(v: unknown): Secret {
  // Checked here so a bad key stops start-up as a configuration error; never echo the value.
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || Buffer.from(s, 'base64').length !== 32) {
    throw new Error('must be base64 of 32 bytes (e.g. `openssl rand -base64 32`)');
  }
  return new Secret(s);
}

function databaseUrlValue(v: unknown): Secret {
  // The URL may carry a password: errors describe it, never echo it.
  checkDatabaseUrl(typeof v === 'string' ? v.trim() : '');
  return new Secret(String(v).trim());
}

function secretValue(v: unknown, minLength: number): Secret {
  if (typeof v !== 'string' || v.trim().length < minLength) {
    throw new Error(`must be at least ${minLength} characters`);
  }
  return new Secret(v.trim());
}
