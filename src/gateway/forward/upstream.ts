// Dialling upstreams. One pooled keep-alive agent per scheme for the whole gateway (node:http and
// node:https rather than undici: the same stack then serves plain requests and WebSocket upgrades,
// the egress guard plugs in as the agent's `lookup`, and raw header lists pass through untouched).
// Upstream TLS is always verified, against the system roots plus --upstream-ca, and against the host
// the agent asked for, even when --connect-to dials another address. The egress guard decides on the
// resolved address and Node dials exactly the address the guard returned (no rebinding window); an
// IP literal never goes through DNS, so it is checked here before dialling.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ErrorCode } from '../../errors/codes.js';
import type { EgressGuard } from '../egress/egress-guard.js';
import { PreconnectingAgent } from './preconnecting-agent.js';

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

interface Route {
  dialHost: string;
  dialPort: number;
  blocked: Error | undefined;
  servername: string | undefined;
  checkServerIdentity: (name: string, cert: tls.PeerCertificate) => Error | undefined;
}

/** Told of a failure before the response (an object with a method: no closure per request). */
export interface UpstreamFailureListener {
  upstreamFailed(failure: UpstreamFailure): void;
}

type OnFailure = ((failure: UpstreamFailure) => void) | UpstreamFailureListener;

export interface UpstreamFailure {
  code: Extract<ErrorCode, 'egress_blocked' | 'upstream_unreachable' | 'upstream_timeout'>;
  kind: 'egress_blocked' | 'unreachable' | 'timeout' | 'tls' | 'reset';
  detail: string;
}

export class Upstream {
  readonly #opts: UpstreamOptions;
  readonly #http: http.Agent;
  readonly #https: PreconnectingAgent;
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
    this.#https = new PreconnectingAgent({ ...pool, secureContext });
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
    this.#https.preconnect({
      host: route.dialHost,
      port: route.dialPort,
      servername: route.servername,
      checkServerIdentity: route.checkServerIdentity,
      lookup: this.#opts.egress.lookup,
    });
  }

  /**
   * Starts an upstream request; call `precheck` first (this throws on a blocked IP literal, before
   * anything is dialled). Failures before the response arrive as `onFailure` (once); the
   * caller owns the returned request (writes the body, listens for 'response' / 'upgrade').
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
    if (typeof this.onFailure === 'function') this.onFailure(failure);
    else this.onFailure.upstreamFailed(failure);
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
  if (code === 'ETIMEDOUT') {
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
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return { code: 'upstream_unreachable', kind: 'reset', detail: 'the upstream closed the connection' };
  }
  const known = /^E[A-Z_]+$/.test(code) ? ` (${code})` : '';
  return {
    code: 'upstream_unreachable',
    kind: 'unreachable',
    detail: `the upstream could not be reached${known}`,
  };
}
