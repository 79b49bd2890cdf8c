// How the gateway's HTTP client (undici) dials an upstream. undici asks for a connection to an
// origin (the host and port the agent asked for); this dials where that origin really is
// (--connect-to), through the egress guard's lookup (Node dials exactly the address the guard
// returned: no rebinding window), verifies the certificate against the host the agent asked for,
// and bounds the TCP connect and TLS handshake together by the connect timeout.
// It also keeps connections opened ahead of the first request: when an agent opens a CONNECT
// tunnel to a host with no pooled connection, the upstream handshake starts while the agent's own
// handshake (and the leaf mint) is in progress. Such a socket goes through the same checks; nothing
// is sent on it until a request the pipeline allowed takes it; unused, it is closed after a while.
import * as net from 'node:net';
import * as tls from 'node:tls';

const WARM_FOR_MS = 15_000;
const MAX_SESSIONS = 256;

/** Where and how one origin is dialled (worked out once per origin by Upstream). */
export interface DialRoute {
  dialHost: string;
  dialPort: number;
  blocked: Error | undefined;
  servername: string | undefined;
  checkServerIdentity: (name: string, cert: tls.PeerCertificate) => Error | undefined;
}

/** What undici hands a custom connector (lib/dispatcher/client.js). */
export interface ConnectRequest {
  hostname: string;
  protocol: string;
  port: string | number;
}

export type ConnectCallback = (err: Error | null, socket: net.Socket | null) => void;

export interface UpstreamConnectorOptions {
  secureContext: tls.SecureContext;
  lookup: net.LookupFunction;
  connectTimeoutMs: number;
  route(secure: boolean, host: string, port: number): DialRoute;
}

export class UpstreamConnector {
  readonly #opts: UpstreamConnectorOptions;
  /** Connections opened ahead of a request, by origin key; taken by the first request to it. */
  readonly #warm = new Map<string, tls.TLSSocket>();
  /** TLS sessions by origin key, so a second connection to a host resumes instead of a full handshake. */
  readonly #sessions = new Map<string, Buffer>();

  constructor(opts: UpstreamConnectorOptions) {
    this.#opts = opts;
  }

  /** undici's `connect` option: called with the origin undici wants a connection to. */
  readonly connect = (request: ConnectRequest, callback: ConnectCallback): void => {
    const secure = request.protocol === 'https:';
    const host = unbracket(request.hostname);
    const port = Number(request.port) || (secure ? 443 : 80);
    const key = `${host}:${port}`;
    const route = this.#opts.route(secure, host, port);
    if (route.blocked) {
      process.nextTick(callback, route.blocked, null);
      return;
    }
    const warm = secure ? this.#take(key) : undefined;
    this.#await(warm ?? this.#dial(secure, key, route), secure, callback);
  };

  /** Opens a TLS connection to this origin now, unless one is already warming; sends nothing. */
  preconnect(host: string, port: number, busy: boolean): void {
    const key = `${host}:${port}`;
    if (busy || this.#warm.has(key)) return;
    const route = this.#opts.route(true, host, port);
    if (route.blocked) return;
    const socket = this.#dial(true, key, route) as tls.TLSSocket;
    const forget = () => {
      if (this.#warm.get(key) === socket) this.#warm.delete(key);
    };
    const timer = setTimeout(() => {
      forget();
      socket.destroy();
    }, WARM_FOR_MS);
    timer.unref();
    // Until a request takes it, a failure only forgets it (the request then dials afresh).
    socket.on('error', WARM_ERROR);
    socket.once('close', () => {
      forget();
      clearTimeout(timer);
    });
    socket.once('tameflare:taken', () => {
      clearTimeout(timer);
      socket.removeListener('error', WARM_ERROR);
    });
    this.#warm.set(key, socket);
  }

  close(): void {
    for (const socket of this.#warm.values()) socket.destroy();
    this.#warm.clear();
  }

  #take(key: string): tls.TLSSocket | undefined {
    const warm = this.#warm.get(key);
    if (!warm) return undefined;
    this.#warm.delete(key);
    if (warm.destroyed) return undefined;
    warm.emit('tameflare:taken');
    return warm;
  }

  #dial(secure: boolean, key: string, route: DialRoute): net.Socket {
    const { lookup, secureContext } = this.#opts;
    if (!secure) return net.connect({ host: route.dialHost, port: route.dialPort, lookup, noDelay: true });
    const socket = tls.connect({
      host: route.dialHost,
      port: route.dialPort,
      servername: route.servername,
      checkServerIdentity: route.checkServerIdentity,
      secureContext,
      lookup,
      session: this.#sessions.get(key),
      ALPNProtocols: ['http/1.1'],
    });
    socket.setNoDelay(true);
    socket.once('secureConnect', markSecured);
    socket.on('session', (session: Buffer) => {
      this.#sessions.delete(key);
      if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
      this.#sessions.set(key, session);
    });
    return socket;
  }

  // Hands the socket to undici once it is connected (and, for TLS, verified), or the first error;
  // the connect timeout covers the TCP connect and the TLS handshake together.
  #await(socket: net.Socket, secure: boolean, callback: ConnectCallback): void {
    if (secure ? (socket as Marked)[SECURED] === true : !socket.connecting) {
      // A warm socket already through its handshake; undici expects the answer later, never within
      // its own call (it hangs otherwise).
      process.nextTick(callback, null, socket);
      return;
    }
    let done = false;
    const settle = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('error', settle);
      socket.removeListener(secure ? 'secureConnect' : 'connect', onConnect);
      if (err) {
        socket.destroy();
        callback(err, null);
      } else callback(null, socket);
    };
    const onConnect = () => settle(null);
    const timer = setTimeout(() => {
      settle(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, this.#opts.connectTimeoutMs);
    timer.unref();
    socket.once(secure ? 'secureConnect' : 'connect', onConnect);
    socket.on('error', settle);
  }
}

// A TLS socket whose handshake completed and whose certificate was verified (a warm socket can be
// taken before or after that).
const SECURED = Symbol('secured');
type Marked = net.Socket & { [SECURED]?: boolean };

function markSecured(this: Marked): void {
  this[SECURED] = true;
}

function WARM_ERROR(this: net.Socket): void {
  this.destroy();
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
