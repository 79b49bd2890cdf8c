// Dialling upstreams. Requests go through one undici Agent for the whole gateway (a pool of
// keep-alive connections per origin): its dispatcher API streams a response without building
// node:http's ClientRequest, IncomingMessage and their listeners, which measured ~40 µs of CPU less
// per request on the same connection (docs/gateway.md, "Measured"). WebSocket upgrades still go
// through node:http (`request`), which hands over the upgraded socket as it is.
// Every connection is dialled by UpstreamConnector: the egress guard plugs in as its `lookup` and
// Node dials exactly the address the guard returned (no rebinding window); an IP literal never goes
// through DNS, so it is checked here before dialling. Upstream TLS is always verified, against the
// system roots plus --upstream-ca, and against the host the agent asked for, even when --connect-to
// dials another address.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { ErrorCode } from '../../errors/codes.js';
import type { EgressGuard } from '../egress/egress-guard.js';
import { type DialRoute, UpstreamConnector } from './upstream-connector.js';

export interface ConnectToRule {
  host: string;
  port: number;
  targetHost: string;
  targetPort: number;
}

export interface UpstreamOptions {
  caPems: readonly string[];
  connectTo: readonly ConnectToRule[];
  egress: EgressGuard;
  /** From dispatch to response headers. */
  headersTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface UpstreamTarget {
  secure: boolean;
  host: string; // as the agent asked for it, lower-case, no brackets
  port: number;
}

interface Route extends DialRoute {
  /** undici's origin for this host and port, by scheme (built once). */
  origins: [http: string | undefined, https: string | undefined];
}

/** One request for `Upstream.dispatch`: the body is what undici accepts (null when there is none). */
export interface UpstreamDispatch {
  method: string;
  path: string;
  headers: string[];
  body: Buffer | AsyncIterable<Buffer> | null;
}

/** Told of a failure before the response of a `request` (a WebSocket handshake). */
type OnFailure = (failure: UpstreamFailure) => void;

export interface UpstreamFailure {
  code: Extract<ErrorCode, 'egress_blocked' | 'upstream_unreachable' | 'upstream_timeout'>;
  kind: 'egress_blocked' | 'unreachable' | 'timeout' | 'tls' | 'reset';
  detail: string;
}

export class Upstream {
  readonly #opts: UpstreamOptions;
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #dispatcher: Agent;
  readonly #connector: UpstreamConnector;
  /** Open connections by origin (undici's connect/disconnect events): a preconnect is skipped when >0. */
  readonly #connected = new Map<string, number>();
  readonly #connectTo: Map<string, { host: string; port: number }>;
  // By host, then port: no key string built per lookup (two lookups per request).
  readonly #routes = new Map<string, Map<number, Route>>();
  #routeCount = 0;

  constructor(opts: UpstreamOptions) {
    this.#opts = opts;
    const pool = {
      keepAlive: true,
      maxFreeSockets: 256,
      scheduling: 'lifo' as const,
      lookup: opts.egress.lookup,
    };
    this.#http = new http.Agent(pool);
    // One secure context for every upstream connection: building one per connection re-parses the
    // whole root store, and passing `ca` instead would make the pool key (which embeds `ca`) huge.
    const secureContext = tls.createSecureContext(
      opts.caPems.length > 0 ? { ca: [...tls.rootCertificates, ...opts.caPems] } : {},
    );
    this.#https = new https.Agent({ ...pool, secureContext });
    this.#connector = new UpstreamConnector({
      secureContext,
      lookup: opts.egress.lookup,
      connectTimeoutMs: opts.connectTimeoutMs,
      route: (secure, host, port) => this.#route({ secure, host, port }),
    });
    this.#dispatcher = new Agent({
      connect: this.#connector.connect as unknown as Agent.Options['connect'],
      headersTimeout: opts.headersTimeoutMs,
      // A response body may stream for as long as it needs (event streams, long downloads).
      bodyTimeout: 0,
      // An idle connection is kept as long as the upstream's Keep-Alive hint allows (minus a second,
      // so it is not reused just as the upstream closes it), at most 10 minutes; 30 s without a hint:
      // under the idle timeouts of common front ends (nginx 75 s, cloud load balancers 60 s), which
      // close without saying so.
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
    });
    this.#dispatcher.on('connect', (origin) => this.#countConnection(origin, 1));
    this.#dispatcher.on('disconnect', (origin) => this.#countConnection(origin, -1));
    this.#connectTo = new Map(
      opts.connectTo.map((r) => [
        `${r.host.toLowerCase()}:${r.port}`,
        { host: r.targetHost, port: r.targetPort },
      ]),
    );
  }

  /** Where a host:port is really dialled (--connect-to). */
  dialAddress(host: string, port: number): { host: string; port: number } {
    return this.#connectTo.get(`${host}:${port}`) ?? { host, port };
  }

  /** A refusal for targets that are IP literals in a blocked range (Node skips `lookup` for those). */
  precheck(target: UpstreamTarget): UpstreamFailure | undefined {
    const blocked = this.#route(target).blocked;
    return blocked ? describeUpstreamError(blocked) : undefined;
  }

  // Everything about a target that cannot change while the gateway runs (where it is dialled, the
  // egress verdict on an IP literal, the TLS name checks) is worked out once per target, within a
  // bound, instead of per request: the egress check builds SocketAddress objects, `isIP` runs the IPv6
  // pattern, and both showed in profiles.
  #route(target: UpstreamTarget): Route {
    let byPort = this.#routes.get(target.host);
    let route = byPort?.get(target.port);
    if (route) return route;
    const dial = this.dialAddress(target.host, target.port);
    let blocked: Error | undefined;
    try {
      this.#opts.egress.assertDialable(dial.host);
    } catch (err) {
      blocked = err as Error;
    }
    const host = target.host;
    route = {
      dialHost: dial.host,
      dialPort: dial.port,
      blocked,
      servername: net.isIP(host) ? undefined : host,
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
      origins: [undefined, undefined],
    };
    if (this.#routeCount >= 4096) {
      this.#routes.clear();
      this.#routeCount = 0;
      byPort = undefined;
    }
    if (!byPort) {
      byPort = new Map();
      this.#routes.set(target.host, byPort);
    }
    byPort.set(target.port, route);
    this.#routeCount++;
    return route;
  }

  /**
   * Starts the TLS connection a request to this target will need, if none is pooled: called when a
   * tunnel opens, so the upstream handshake overlaps the agent's. Sends nothing.
   */
  preconnect(target: UpstreamTarget): void {
    const route = this.#route(target);
    if (route.blocked || !target.secure) return;
    const busy = (this.#connected.get(this.#origin(route, target)) ?? 0) > 0;
    this.#connector.preconnect(target.host, target.port, busy);
  }

  /**
   * Sends a request through the pooled undici client; call `precheck` first (this throws on a
   * blocked IP literal, before anything is dialled). The handler learns of everything: the response
   * head, its body, its end or the first failure (`describeUpstreamError` names it); what undici
   * refuses to send (a header value or path with characters HTTP does not allow) reaches its
   * `onError` as UND_ERR_INVALID_ARG, before anything is dialled.
   * Timeouts: the connect timeout covers the TCP connect and TLS handshake, the headers timeout runs
   * from the moment the request is on the wire to the response head.
   */
  dispatch(target: UpstreamTarget, request: UpstreamDispatch, handler: Dispatcher.DispatchHandler): void {
    const route = this.#route(target);
    if (route.blocked) throw route.blocked;
    this.#dispatcher.dispatch(
      {
        origin: this.#origin(route, target),
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers,
        // undici takes any (async) iterable of chunks; its types name only the stream classes.
        body: request.body as Dispatcher.DispatchOptions['body'],
      },
      handler,
    );
  }

  #origin(route: Route, target: UpstreamTarget): string {
    const i = target.secure ? 1 : 0;
    let origin = route.origins[i];
    if (origin === undefined) {
      const host = target.host.includes(':') ? `[${target.host}]` : target.host;
      origin = `${target.secure ? 'https' : 'http'}://${host}:${target.port}`;
      route.origins[i] = origin;
    }
    return origin;
  }

  #countConnection(origin: URL | string, delta: number): void {
    // The same spelling as #origin builds (a URL drops the scheme's default port).
    const url = typeof origin === 'string' ? new URL(origin) : origin;
    const key = `${url.protocol}//${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
    const n = (this.#connected.get(key) ?? 0) + delta;
    if (n > 0) this.#connected.set(key, n);
    else this.#connected.delete(key);
  }

  /**
   * Starts an upstream request through node:http (WebSocket upgrades: the upgraded socket is handed
   * over as it is); call `precheck` first (this throws on a blocked IP literal, before anything is
   * dialled). Failures before the response arrive as `onFailure` (once); the caller owns the
   * returned request (writes the body, listens for 'response' / 'upgrade').
   */
  request(
    target: UpstreamTarget,
    method: string,
    path: string,
    headers: string[],
    onFailure: OnFailure,
  ): http.ClientRequest {
    const route = this.#route(target);
    if (route.blocked) throw route.blocked;
    const req = target.secure
      ? https.request({
          host: route.dialHost,
          port: route.dialPort,
          method,
          path,
          headers,
          setHost: false,
          lookup: this.#opts.egress.lookup,
          agent: this.#https,
          // The agent's pool is keyed by servername, so two hosts behind one --connect-to target never
          // share a connection (and never a certificate check).
          servername: route.servername,
          checkServerIdentity: route.checkServerIdentity,
        })
      : http.request({
          host: route.dialHost,
          port: route.dialPort,
          method,
          path,
          headers,
          setHost: false,
          lookup: this.#opts.egress.lookup,
          agent: this.#http,
        });
    this.#watch(req, onFailure);
    return req;
  }

  /** Opens a raw TCP connection (non-intercepted tunnels), egress-checked like any request. */
  connectRaw(host: string, port: number): Promise<net.Socket> {
    const dial = this.dialAddress(host, port);
    return new Promise((resolve, reject) => {
      try {
        this.#opts.egress.assertDialable(dial.host);
      } catch (err) {
        reject(err);
        return;
      }
      const socket = net.connect({ host: dial.host, port: dial.port, lookup: this.#opts.egress.lookup });
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => {
        socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      }, this.#opts.connectTimeoutMs);
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        // Until the tunnel attaches its own handlers, an error must not crash the process; the
        // tunnel learns of it through 'close'.
        socket.on('error', () => {});
        resolve(socket);
      });
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
    this.#connector.close();
    void this.#dispatcher.destroy().catch(() => {});
  }

  #watch(req: http.ClientRequest, onFailure: OnFailure): void {
    const watch = new UpstreamWatch(req, onFailure, this.#opts.connectTimeoutMs);
    watch.headersTimer = setTimeout(onHeadersTimeout, this.#opts.headersTimeoutMs, watch);
    watch.headersTimer.unref();
    (req as WatchedRequest)[WATCH] = watch;
    req.on('socket', onSocket);
    // Each is emitted at most once per request: plain listeners, without once()'s wrapper per request.
    // Shared functions that find their request's watch through `this` (the emitter), rather than
    // closures made for every request.
    req.on('response', onSettled);
    req.on('upgrade', onSettled);
    req.on('error', onRequestError);
  }
}

// The watch over one upstream request until its response (or upgrade) arrives: the headers timeout,
// the connect timeout of a fresh connection, and the first failure, reported once.
const WATCH = Symbol('upstream watch');
type WatchedRequest = http.ClientRequest & { [WATCH]?: UpstreamWatch };

class UpstreamWatch {
  settled = false;
  headersTimer: NodeJS.Timeout | undefined = undefined;
  constructor(
    readonly req: http.ClientRequest,
    readonly onFailure: OnFailure,
    readonly connectTimeoutMs: number,
  ) {}

  fail(failure: UpstreamFailure): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.headersTimer);
    this.onFailure(failure);
  }
}

const HEADERS_TIMEOUT: UpstreamFailure = {
  code: 'upstream_timeout',
  kind: 'timeout',
  detail: 'the upstream did not answer in time',
};
const CONNECT_TIMEOUT: UpstreamFailure = {
  code: 'upstream_timeout',
  kind: 'timeout',
  detail: 'connecting to the upstream timed out',
};

function onHeadersTimeout(watch: UpstreamWatch): void {
  watch.fail({ ...HEADERS_TIMEOUT });
  watch.req.destroy();
}

function onConnectTimeout(watch: UpstreamWatch): void {
  watch.fail({ ...CONNECT_TIMEOUT });
  watch.req.destroy();
}

function onSocket(this: WatchedRequest, socket: net.Socket): void {
  const watch = this[WATCH];
  if (!watch || !socket.connecting) return;
  const connectTimer = setTimeout(onConnectTimeout, watch.connectTimeoutMs, watch);
  connectTimer.unref();
  const clear = () => clearTimeout(connectTimer);
  socket.once('connect', clear);
  socket.once('close', clear);
}

function onSettled(this: WatchedRequest): void {
  const watch = this[WATCH];
  if (!watch) return;
  watch.settled = true;
  clearTimeout(watch.headersTimer);
}

function onRequestError(this: WatchedRequest, err: Error): void {
  this[WATCH]?.fail(describeUpstreamError(err));
}

export function describeUpstreamError(err: unknown): UpstreamFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'EGRESS_BLOCKED') {
    return {
      code: 'egress_blocked',
      kind: 'egress_blocked',
      detail:
        'the upstream resolves to a private, loopback, link-local or metadata address, which this gateway does not dial',
    };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { ...HEADERS_TIMEOUT };
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { code: 'upstream_timeout', kind: 'timeout', detail: 'connecting to the upstream timed out' };
  }
  if (/CERT|SSL|TLS|ALTNAME|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    // The code names the verification failure; it carries no secret and helps the operator.
    return {
      code: 'upstream_unreachable',
      kind: 'tls',
      detail: `upstream TLS verification failed (${code})`,
    };
  }
  // UND_ERR_SOCKET: undici's name for a connection the upstream closed under a request.
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') {
    return { code: 'upstream_unreachable', kind: 'reset', detail: 'the upstream closed the connection' };
  }
  const known = /^E[A-Z_]+$/.test(code) ? ` (${code})` : '';
  return {
    code: 'upstream_unreachable',
    kind: 'unreachable',
    detail: `the upstream could not be reached${known}`,
  };
}
