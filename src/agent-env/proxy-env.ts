// The environment `tameflare run` gives an agent, and its printed forms for `tameflare env`.
//
// Pure: no process.env, no files. The variables only steer cooperative, unmodified clients to the
// gateway and make them trust its CA; they are not a boundary (a process can ignore its environment),
// so nothing here should be mistaken for containment.
/** Hosts that never go through the gateway: the agent's own machine. */
const LOOPBACK_NO_PROXY = ['localhost', '127.0.0.1', '::1', '[::1]'];

export interface AgentEnvironmentInput {
  /** The agent's proxy URL with credentials, e.g. `http://NAME:KEY@127.0.0.1:9443` (see proxyUrlFor). */
  proxyUrl: string;
  /** The interception CA alone (`ca.crt`): for NODE_EXTRA_CA_CERTS, which adds to Node's roots. */
  caCertPath: string;
  /** System roots plus our CA (`ca-bundle.pem`): for the variables that replace a client's store. */
  caBundlePath: string;
  /** The built preload (`dist/src/agent-env/preload.cjs`). */
  preloadPath: string;
  /** The environment the child would otherwise inherit; read, never modified. */
  baseEnv: Record<string, string | undefined>;
}

/**
 * The variables to add to (or override in) the child's environment. Everything else of baseEnv is
 * the caller's to pass on.
 */
export function buildAgentEnvironment(input: AgentEnvironmentInput): Record<string, string> {
  const proxy = new URL(input.proxyUrl);
  // The preload's http/https agents and the gateway speak plain HTTP to the proxy; an https:// proxy
  // URL would half-work (undici would honour it, http.request would not), so refuse it up front.
  if (proxy.protocol !== 'http:') throw new TypeError(`proxy URL must be http://, got ${proxy.protocol}`);
  const env = input.baseEnv;
  const out: Record<string, string> = {};

  // Both cases: curl and Python prefer lower case (curl reads only lower-case http_proxy), Go and
  // many others read upper case, undici and Node's own support read either.
  out['HTTP_PROXY'] = input.proxyUrl;
  out['HTTPS_PROXY'] = input.proxyUrl;
  out['http_proxy'] = input.proxyUrl;
  out['https_proxy'] = input.proxyUrl;
  // ALL_PROXY is deliberately not set: curl and others apply it to every scheme (ftp, smtp,
  // socks-speaking tools), which the gateway cannot carry; HTTP(S)_PROXY cover what it governs.

  const noProxy = mergeNoProxy(env['no_proxy'], env['NO_PROXY']);
  out['NO_PROXY'] = noProxy;
  out['no_proxy'] = noProxy;

  // NODE_EXTRA_CA_CERTS adds to Node's built-in roots, so the CA alone is right. The others replace
  // the client's whole store, hence the bundle of system roots plus our CA.
  out['NODE_EXTRA_CA_CERTS'] = input.caCertPath;
  out['SSL_CERT_FILE'] = input.caBundlePath;
  out['REQUESTS_CA_BUNDLE'] = input.caBundlePath;
  out['CURL_CA_BUNDLE'] = input.caBundlePath;
  out['GIT_SSL_CAINFO'] = input.caBundlePath;

  // Node 22.21+ / 24.5+ then route fetch and the global agents through the proxy natively.
  out['NODE_USE_ENV_PROXY'] = '1';
  // Every Node needs the preload all the same: agents that libraries build themselves, node:http2
  // and ws ignore the proxy even where Node reads it (the preload leaves Node's own routing alone).
  out['NODE_OPTIONS'] = appendRequire(env['NODE_OPTIONS'], input.preloadPath);

  // An agent runs unattended and usually owns no terminal: a 401 that makes git prompt for a password
  // would hang it or steal the terminal from an interactive agent. Fail fast instead, unless the
  // operator chose otherwise.
  if (env['GIT_TERMINAL_PROMPT'] === undefined) out['GIT_TERMINAL_PROMPT'] = '0';
  return out;
}

/**
 * Loopback plus whatever the operator already excluded. A `*` entry is dropped: inherited from a
 * shell it would silently send the agent around the gateway for every host.
 */
function mergeNoProxy(...values: Array<string | undefined>): string {
  const entries = [...LOOPBACK_NO_PROXY];
  for (const value of values) {
    for (const entry of (value ?? '').split(/[\s,]+/)) {
      if (entry !== '' && entry !== '*' && !entries.includes(entry)) entries.push(entry);
    }
  }
  return entries.join(',');
}

// `--require`, not `--import`: the preload is CommonJS and starts about 6 ms faster without the ESM
// loader, and every Node version accepts it in NODE_OPTIONS.
function appendRequire(existing: string | undefined, path: string): string {
  const option = `--require ${quoteNodeOption(path)}`;
  const current = (existing ?? '').trim();
  if (current.includes(option)) return current; // nested `tameflare run`: load it once
  return current === '' ? option : `${current} ${option}`;
}

/**
 * Node splits NODE_OPTIONS on spaces only, honours double quotes, and inside them treats a backslash
 * as an escape. A file URL never needs quoting (spaces become %20), but a value we did not make might.
 */
export function quoteNodeOption(value: string): string {
  if (value !== '' && !/[\s"\\]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface ProxyUrlParts {
  host: string;
  port: number;
  agent: string;
  key: string;
}

/** `http://AGENT:KEY@HOST:PORT` with user and password encoded so that any character survives. */
export function proxyUrlFor(parts: ProxyUrlParts): string {
  if (!Number.isInteger(parts.port) || parts.port < 1 || parts.port > 65_535) {
    throw new RangeError(`invalid proxy port: ${parts.port}`);
  }
  if (parts.host === '') throw new TypeError('proxy host is empty');
  const host = parts.host.includes(':') && !parts.host.startsWith('[') ? `[${parts.host}]` : parts.host;
  return `http://${encodeUserinfo(parts.agent)}:${encodeUserinfo(parts.key)}@${host}:${parts.port}`;
}

// encodeURIComponent leaves !'()* alone; they are legal in userinfo, but a proxy URL gets pasted into
// shells and config files, so encode everything outside the RFC 3986 unreserved set.
function encodeUserinfo(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export type EnvironmentFormat = 'sh' | 'fish' | 'dotenv' | 'json';

/** The lines `tameflare env` prints, quoted so that the shell or parser reads back exactly `vars`. */
export function formatEnvironment(vars: Record<string, string>, format: EnvironmentFormat): string {
  const entries = Object.entries(vars);
  for (const [name] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`invalid variable name: ${name}`);
  }
  switch (format) {
    case 'json':
      return `${JSON.stringify(vars, null, 2)}\n`;
    case 'sh':
      return entries.map(([name, value]) => `export ${name}=${shQuote(value)}\n`).join('');
    case 'fish':
      return entries.map(([name, value]) => `set -gx ${name} ${fishQuote(value)}\n`).join('');
    case 'dotenv':
      return entries.map(([name, value]) => `${name}=${dotenvQuote(name, value)}\n`).join('');
  }
}

// POSIX single quotes take everything literally; a quote itself is closed, escaped and reopened.
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

// In fish single quotes only \\ and \' are escapes.
function fishQuote(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

// dotenv has no single grammar (dotenv, Node's --env-file, python-dotenv, docker compose differ on
// escapes and on `$` expansion), but they agree on bare safe values, on single quotes around text with
// no quote, backslash or newline, and on double quotes around such text without `$`. Pick one of
// those or refuse rather than print something that reads back differently.
function dotenvQuote(name: string, value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]*$/.test(value)) return value;
  if (!/[\\\n\r]/.test(value)) {
    if (!value.includes(`'`)) return `'${value}'`;
    if (!/["$]/.test(value)) return `"${value}"`;
  }
  throw new TypeError(`${name} cannot be written as a dotenv value portably; use --format json`);
}
