// Routes node:http and node:https through the proxy at the level every client shares: the Agent
// prototypes (so agents a library builds itself, such as openai 4's and stripe's keep-alive agents,
// are covered, not only the global ones) and requests made with no agent but their own
// createConnection (ws).
//
// Threat model: see preload.cts. Agents whose class replaces createConnection without calling
// Node's (agent-base and the proxy agents built on it, socks agents) bring their own transport and
// are left alone: what they connect to is their business, and tls.connect (patch-tls.cts) still sees
// any TLS they open themselves.
import type { ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectOptions, Route, SocketCallback } from './preload-types.js';

import http = require('node:http');
import https = require('node:https');
import net = require('node:net');
import routes = require('./proxy-route.cjs');
import tunnels = require('./tunnel.cjs');

type CreateConnection = (this: http.Agent, options: ConnectOptions, cb: SocketCallback) => Duplex | undefined;
type AddRequest = (this: http.Agent, req: ClientRequest, options: ConnectOptions) => void;
type RequestFunction = (...args: unknown[]) => ClientRequest;

interface Routes {
  http: Route | undefined;
  https: Route | undefined;
  /** Node ≥ 22.21 / 24.5 with NODE_USE_ENV_PROXY: agents built with `proxyEnv` are Node's to route. */
  nativeProxy: boolean;
}

// Node's Agent has these; @types/node does not declare addRequest.
const agentPrototype = http.Agent.prototype as unknown as {
  addRequest: AddRequest;
  createConnection: CreateConnection;
};
const httpsPrototype = https.Agent.prototype as unknown as { createConnection: CreateConnection };

function routedByNode(agent: http.Agent, config: Routes): boolean {
  return (
    config.nativeProxy && (agent as { options?: { proxyEnv?: unknown } }).options?.proxyEnv !== undefined
  );
}

function patchAgents(config: Routes): void {
  const baseAddRequest = agentPrototype.addRequest;
  const baseHttpCreate = agentPrototype.createConnection;
  const baseHttpsCreate = httpsPrototype.createConnection;

  // Plain HTTP: a tunnel to host:port (the gateway takes CONNECT to port 80 as well).
  const httpCreate: CreateConnection = function (options, cb) {
    const route = config.http;
    if (!route || routedByNode(this, config) || routes.goesDirect(route, options, 80)) {
      return baseHttpCreate.call(this, options, cb) ?? undefined;
    }
    const { host, port } = routes.targetOf(options, 80);
    tunnels.openTunnel(route.proxy, host, port, cb);
    return undefined;
  };

  // HTTPS: a tunnel, then Node's own TLS client over it (servername, session cache and certificate
  // checks unchanged); sockets stay pooled per target, as without a proxy.
  const httpsCreate: CreateConnection = function (options, cb) {
    const route = config.https;
    if (!route || routedByNode(this, config) || routes.goesDirect(route, options, 443)) {
      return baseHttpsCreate.call(this, options, cb) ?? undefined;
    }
    const { host, port } = routes.targetOf(options, 443);
    // Node's own createSocket takes the socket from the callback. A subclass that overrides
    // createConnection and calls this one (agentkeepalive, used by openai 4 and older Anthropic SDKs)
    // uses the returned socket at once, so it gets TLS over a stream that waits for the tunnel.
    if (this.createConnection !== httpsCreate) {
      const tunnel = tunnels.pendingTunnel(route.proxy, host, port);
      const socket = baseHttpsCreate.call(this, { ...options, socket: tunnel }, cb);
      return socket && tunnels.linkRefs(socket as net.Socket, tunnel);
    }
    tunnels.openTunnel(route.proxy, host, port, (err, socket) => {
      if (err || !socket) return cb(err ?? new Error('proxy tunnel closed'));
      try {
        cb(null, baseHttpsCreate.call(this, { ...options, socket }, () => {}) ?? undefined);
      } catch (error) {
        socket.destroy();
        cb(error as Error);
      }
    });
    return undefined;
  };

  // A plain-HTTP agent of Node's own making sends to the proxy in absolute form
  // (`GET http://host/path`) and shares pooled connections to it. A request whose head is already
  // serialized (raw header arrays, Expect) can no longer be rewritten, so it is tunnelled instead.
  const addRequest: AddRequest = function (req, options) {
    const route = config.http;
    if (
      route &&
      this.createConnection === httpCreate &&
      !routedByNode(this, config) &&
      !routes.goesDirect(route, options, 80) &&
      req.method !== 'CONNECT' &&
      !req.headersSent &&
      req.path.startsWith('/')
    ) {
      const { host, port } = routes.targetOf(options, 80);
      req.path = `http://${net.isIPv6(host) ? `[${host}]` : host}${port === 80 ? '' : `:${port}`}${req.path}`;
      if (route.proxy.authorization) req.setHeader('Proxy-Authorization', route.proxy.authorization);
      const proxy = route.proxy;
      baseAddRequest.call(this, req, {
        ...options,
        host: proxy.host,
        hostname: proxy.host,
        port: proxy.port,
      });
      return;
    }
    baseAddRequest.call(this, req, options);
  };

  agentPrototype.createConnection = httpCreate;
  httpsPrototype.createConnection = httpsCreate;
  agentPrototype.addRequest = addRequest;
}

/**
 * A request with no agent and its own createConnection (ws builds its handshake this way) never
 * meets an agent: its connect function gets a tunnel first. For TLS the function receives the
 * tunnel as `socket` (tls.connect honours it); a plain one is replaced by the tunnel itself.
 */
function wrapRequest(original: RequestFunction, secure: boolean, config: Routes): RequestFunction {
  return function request(this: unknown, ...args: unknown[]) {
    const index = typeof args[0] === 'string' || args[0] instanceof URL ? 1 : 0;
    const options = args[index] as (ConnectOptions & { createConnection?: unknown }) | undefined;
    const route = secure ? config.https : config.http;
    if (route && options && typeof options === 'object' && typeof options.createConnection === 'function') {
      if (options.agent === undefined || options.agent === null) {
        const connect = options.createConnection as (o: ConnectOptions, cb?: SocketCallback) => Duplex;
        const defaultPort = secure ? 443 : 80;
        const createConnection = (opts: ConnectOptions, cb: SocketCallback) => {
          if (routes.goesDirect(route, opts, defaultPort)) return connect(opts, cb);
          const { host, port } = routes.targetOf(opts, defaultPort);
          tunnels.openTunnel(route.proxy, host, port, (err, socket) => {
            if (err || !socket) return cb(err ?? new Error('proxy tunnel closed'));
            if (!secure) return cb(null, socket);
            try {
              cb(null, connect({ ...opts, socket }));
            } catch (error) {
              socket.destroy();
              cb(error as Error);
            }
          });
          return undefined;
        };
        args[index] = { ...options, createConnection };
      }
    }
    return original.apply(this, args);
  };
}

function patchRequests(config: Routes): void {
  const modules: Array<[typeof http | typeof https, boolean]> = [
    [http, false],
    [https, true],
  ];
  for (const [mod, secure] of modules) {
    const target = mod as unknown as Record<'request' | 'get', RequestFunction>;
    target.request = wrapRequest(target.request, secure, config);
    target.get = wrapRequest(target.get, secure, config);
  }
}

export = { patchAgents, patchRequests };
