// Loaded into every Node process that `tameflare run` starts (`NODE_OPTIONS=--import <this file>`).
//
// Why: before 22.21 / 24.5, Node's global fetch and its http/https modules ignore HTTP(S)_PROXY, so an
// unmodified agent would go straight out and never meet the gateway that decides and injects
// credentials. This routes fetch (undici's global dispatcher) and http/https (their global agents)
// through the proxy named in the environment; where Node does that natively, it does nothing.
//
// Threat model: this runs inside the agent's own process, so it is a convenience, not a boundary; code
// in the agent can undo it, and an agent that must not reach the internet directly needs the network to
// enforce that (only the gateway reachable). What it does guarantee:
// - the proxy credential (user:password of the proxy URL) is sent only to the proxy, as
//   Proxy-Authorization: never to a target, never to a NO_PROXY host, never inside a tunnel;
// - TLS is never weakened: tunnelled targets are verified against Node's roots plus
//   NODE_EXTRA_CA_CERTS (which is how the child trusts the gateway's CA), or the caller's own `ca`;
// - importing it never breaks the agent: it is silent, and on any failure it prints one line to stderr
//   and changes nothing (requests then go direct, which the gateway cannot see).
// It loads only node built-ins and TameFlare's own copy of undici, resolved next to this file.

import type { Agent, AgentOptions, ClientRequest, ClientRequestArgs, OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';

// Resolves from this file, i.e. TameFlare's install, never the agent's working directory. The http and
// https modules are taken as their CommonJS objects because their `globalAgent` must be reassigned.
const require = createRequire(import.meta.url);
const http: typeof import('node:http') = require('node:http');
const https: typeof import('node:https') = require('node:https');

type Undici = typeof import('undici');
type Callback = (err: Error | null, socket?: Duplex) => void;
/** The options Node's Agent passes to addRequest / createConnection (a superset of these). */
type ConnectOptions = ClientRequestArgs & { host?: string | null; tunnel?: boolean };
type AddRequest = (this: Agent, req: ClientRequest, options: ConnectOptions) => void;

const INSTALLED = Symbol.for('tameflare.preload');
const directAgent = new http.Agent();
// Node's Agent has this method but @types/node does not declare it.
const baseAddRequest = (http.Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;

/** NODE_USE_ENV_PROXY covers fetch, http and https from 22.21 and 24.5. Mirrors needsPreload(). */
function hasNativeEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/** Whether `version` meets a `>=x.y.z` range (the only form undici's engines field uses). */
function satisfiesMinimum(version: string, range: string | undefined): boolean {
  const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range?.trim() ?? '');
  if (!minimum) return true;
  const have = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const want = Number(minimum[i + 1]);
    if ((have[i] ?? 0) !== want) return (have[i] ?? 0) > want;
  }
  return true;
}

interface Proxy {
  host: string;
  port: number;
  authorization: string | undefined;
}

function parseProxy(value: string): Proxy {
  const url = new URL(value);
  if (url.protocol !== 'http:') throw new Error(`unsupported proxy scheme ${url.protocol}`);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port) || 80,
    authorization:
      user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined,
  };
}

/** NO_PROXY as curl and undici read it: `*`, host, `.domain` / `*.domain` (subdomains), optional :port. */
function parseNoProxy(value: string): (host: string, port: number) => boolean {
  const entries = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const match = /^\[(.+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
      const host = (match ? match[1]! : entry).replace(/^\*?\./, '').toLowerCase();
      return { host, port: match?.[2] ? Number(match[2]) : 0 };
    });
  return (rawHost, port) => {
    const host = rawHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    return entries.some(
      (e) =>
        e.host === '*' || ((!e.port || e.port === port) && (host === e.host || host.endsWith(`.${e.host}`))),
    );
  };
}

/** CONNECT host:port through the proxy; the callback gets the raw tunnel socket. */
function openTunnel(proxy: Proxy, host: string, port: number, cb: Callback): void {
  const authority = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const headers: OutgoingHttpHeaders = { host: authority };
  if (proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
  // A plain agent, so this request does not come back through ours. No timeout: the
  // gateway may hold a tunnel while a person approves it, and it bounds that hold itself.
  const req = http.request({
    host: proxy.host,
    port: proxy.port,
    method: 'CONNECT',
    path: authority,
    headers,
    agent: directAgent,
  });
  req.once('connect', (res, socket, head) => {
    if (res.statusCode === 200) {
      if (head.length > 0) socket.unshift(head);
      cb(null, socket);
      return;
    }
    socket.destroy();
    // The gateway explains a refusal in a problem+json body; agents (and whoever reads their logs)
    // are better served by its detail than by a bare status.
    const body = head.toString('utf8', 0, 500).trim();
    cb(
      new Error(
        `proxy refused tunnel to ${authority}: ${res.statusCode} ${res.statusMessage}${body ? ` ${body}` : ''}`,
      ),
    );
  });
  req.once('error', (err) => cb(err));
  req.end();
}

interface Route {
  proxy: Proxy;
  bypass: (host: string, port: number) => boolean;
}

function targetOf(options: ConnectOptions, defaultPort: number): { host: string; port: number } {
  return { host: options.host ?? options.hostname ?? 'localhost', port: Number(options.port) || defaultPort };
}

function goesDirect({ proxy, bypass }: Route, options: ConnectOptions, defaultPort: number): boolean {
  const { host, port } = targetOf(options, defaultPort);
  // A request to the proxy itself (its API, or a library doing its own proxying) must not be proxied.
  return Boolean(options.socketPath) || bypass(host, port) || (host === proxy.host && port === proxy.port);
}

// Classes closed over the route rather than taking it as an argument: `{ agent: false }` makes Node
// build a fresh agent with `new globalAgent.constructor()`, and that one must route the same way.
function httpAgentClass(route: Route) {
  return class ProxyHttpAgent extends http.Agent {
    // Plain HTTP goes to the proxy in absolute form (`GET http://host/path`) and shares pooled
    // connections to it. A request whose head is already serialized (raw header arrays, Expect) can
    // no longer be rewritten, so it is tunnelled instead.
    addRequest(req: ClientRequest, options: ConnectOptions): void {
      if (goesDirect(route, options, 80) || req.method === 'CONNECT' || req.path.includes('://')) {
        baseAddRequest.call(this, req, options);
      } else if (req.headersSent || !req.path.startsWith('/')) {
        baseAddRequest.call(this, req, { ...options, tunnel: true });
      } else {
        const { host, port } = targetOf(options, 80);
        const { proxy } = route;
        req.path = `http://${isIPv6(host) ? `[${host}]` : host}${port === 80 ? '' : `:${port}`}${req.path}`;
        if (proxy.authorization) req.setHeader('Proxy-Authorization', proxy.authorization);
        baseAddRequest.call(this, req, {
          ...options,
          host: proxy.host,
          hostname: proxy.host,
          port: proxy.port,
        });
      }
    }

    override getName(options: ConnectOptions): string {
      return options.tunnel ? `${super.getName(options)}:tunnel` : super.getName(options);
    }

    override createConnection(options: ConnectOptions, cb: Callback): Duplex | undefined {
      if (!options.tunnel) return super.createConnection(options, cb) ?? undefined;
      const { host, port } = targetOf(options, 80);
      openTunnel(route.proxy, host, port, cb);
      return undefined;
    }
  };
}

function httpsAgentClass(route: Route) {
  return class ProxyHttpsAgent extends https.Agent {
    // HTTPS is a CONNECT tunnel, then Node's own TLS client over it (servername, session cache and
    // certificate checks unchanged); sockets stay pooled per target, as without a proxy.
    override createConnection(options: ConnectOptions, cb: Callback): Duplex | undefined {
      if (goesDirect(route, options, 443)) return super.createConnection(options, cb) ?? undefined;
      const { host, port } = targetOf(options, 443);
      openTunnel(route.proxy, host, port, (err, socket) => {
        if (err || !socket) return cb(err ?? new Error('proxy tunnel closed'));
        try {
          cb(null, super.createConnection({ ...options, socket } as ConnectOptions) ?? undefined);
        } catch (error) {
          socket.destroy();
          cb(error as Error);
        }
      });
      return undefined;
    }
  };
}

/**
 * Loading undici costs about 75 ms, and most Node processes an agent starts (npm, tsc, linters) never
 * call fetch. So fetch gets a stand-in that loads undici and builds the real dispatcher on first use;
 * every property read is forwarded, so it behaves as the EnvHttpProxyAgent it stands for.
 */
function lazyDispatcher(create: () => object): object {
  let real: object | undefined;
  const target = () => {
    real ??= create();
    return real;
  };
  return new Proxy(Object.create(null), {
    get(_, key) {
      const value: unknown = Reflect.get(target(), key);
      // Methods are bound so that they run on the real dispatcher (its private fields live there).
      return typeof value === 'function' && key !== 'constructor' ? value.bind(target()) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
  });
}

function install(): void {
  const env = process.env;
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[INSTALLED]) return; // loaded twice, e.g. a nested run that named another copy
  if (env['NODE_USE_ENV_PROXY'] === '1' && hasNativeEnvProxy(process.versions.node)) return;
  // Same precedence as undici and curl: lower case first. Read once, so that every client in the
  // process agrees on the route even if the agent edits its environment later.
  const httpProxy = env['http_proxy'] || env['HTTP_PROXY'] || '';
  const httpsProxy = env['https_proxy'] || env['HTTPS_PROXY'] || httpProxy;
  const noProxy = env['no_proxy'] ?? env['NO_PROXY'] ?? '';
  if (!httpProxy && !httpsProxy) return;

  // Resolve and check undici now: it is loaded only at the first fetch, and a failure there would
  // break that fetch instead of being reported here and leaving things as they were.
  const undiciPath = require.resolve('undici');
  const { engines } = require('undici/package.json') as { engines?: { node?: string } };
  if (!satisfiesMinimum(process.versions.node, engines?.node)) {
    throw new Error(`TameFlare's undici needs Node ${engines?.node}`);
  }
  const bypass = parseNoProxy(noProxy);
  // Same pooling and keep-alive as the agents being replaced (Node's defaults differ by version).
  const defaults = { ...(http.globalAgent as Agent & { options: AgentOptions }).options };
  const httpAgent = httpProxy
    ? new (httpAgentClass({ proxy: parseProxy(httpProxy), bypass }))(defaults)
    : http.globalAgent;
  const httpsAgent = httpsProxy
    ? new (httpsAgentClass({ proxy: parseProxy(httpsProxy), bypass }))({ ...https.globalAgent.options })
    : https.globalAgent;
  const dispatcher = lazyDispatcher(() => {
    const { EnvHttpProxyAgent } = require(undiciPath) as Undici;
    return new EnvHttpProxyAgent({ httpProxy, httpsProxy, noProxy });
  });
  // Symbol.for('undici.globalDispatcher.1') is the slot every undici copy reads, including the one
  // inside Node's fetch; undici 7's setGlobalDispatcher writes it and a '.2' twin, so do we.
  const slots = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];
  for (const slot of slots) {
    const current = Object.getOwnPropertyDescriptor(globalThis, slot);
    if (current && !current.writable && !current.configurable) throw new Error('undici dispatcher is locked');
  }

  // Everything that can fail has run; from here on only assignments.
  for (const slot of slots) {
    Object.defineProperty(globalThis, slot, {
      value: dispatcher,
      writable: true,
      enumerable: false,
      configurable: false,
    });
  }
  http.globalAgent = httpAgent;
  https.globalAgent = httpsAgent;
  globals[INSTALLED] = true;
}

try {
  install();
} catch (err) {
  const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  process.stderr.write(`tameflare: proxy preload not applied, requests may bypass the gateway (${reason})\n`);
}
