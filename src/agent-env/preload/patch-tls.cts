// tls.connect is where every TLS client in Node ends up (https agents, node:http2, ws, undici's own
// connector): a connection it would open straight to a host that is not NO_PROXY goes through a
// CONNECT tunnel instead. So HTTP/2 and WebSockets reach the gateway, and a library with a
// transport of its own cannot leave over TLS unseen. A connection given its own `socket` (an
// existing tunnel, STARTTLS) is left as it is.
//
// Also: with `node --env-file`, Node reads NODE_EXTRA_CA_CERTS before it loads the file, so the
// gateway's CA would not be trusted; here it is added to every context built on the default roots.
import type { ConnectionOptions, SecureContext, SecureContextOptions } from 'node:tls';
import type { Route } from './preload-types.js';

import fs = require('node:fs');
import tls = require('node:tls');
import routes = require('./proxy-route.cjs');
import tunnels = require('./tunnel.cjs');

type Connect = (...args: unknown[]) => tls.TLSSocket;

/** tls.connect(options[, cb]) or tls.connect(port[, host][, options][, cb]) as one options object. */
function normalizeArgs(args: unknown[]): { options: ConnectionOptions; cb: unknown } {
  if (args[0] !== null && typeof args[0] === 'object') return { options: args[0], cb: args[1] };
  const rest = [...args];
  const options: ConnectionOptions = {};
  if (typeof rest[0] === 'number' || typeof rest[0] === 'string') options.port = Number(rest.shift());
  if (typeof rest[0] === 'string') options.host = rest.shift() as string;
  if (rest[0] !== null && typeof rest[0] === 'object') Object.assign(options, rest.shift());
  return { options, cb: rest[0] };
}

function alpnIncludes(protocols: NonNullable<ConnectionOptions['ALPNProtocols']>, name: string): boolean {
  if (Array.isArray(protocols))
    return protocols.some((p) => String(p) === name || Buffer.from(p).toString() === name);
  return Buffer.from(protocols as Uint8Array).includes(name);
}

/**
 * node:http2 offers only h2, and a gateway that speaks HTTP/1.1 to agents answers with TLS alert
 * 120; OpenSSL's wording of it would leave the agent's author guessing.
 */
function explainAlpn(socket: tls.TLSSocket, host: string, port: number): void {
  socket.prependListener('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
      err.message = `the gateway (HTTPS_PROXY) does not speak HTTP/2 with agents: ${host}:${port} needs an HTTP/1.1 client (TLS alert no_application_protocol)`;
    }
  });
}

function patchTlsConnect(route: Route): void {
  const connect = tls.connect as unknown as Connect;
  const patched: Connect = function (this: unknown, ...args: unknown[]) {
    const { options, cb } = normalizeArgs(args);
    // `path` is a Unix socket here.
    if (options.socket || options.path || routes.goesDirect(route, options, 443))
      return connect.apply(this, args);
    const { host, port } = routes.targetOf(options, 443);
    const socket = tunnels.pendingTunnel(route.proxy, host, port);
    const tls = tunnels.linkRefs(
      connect.call(this, { ...options, host, port, socket }, cb),
      socket,
    ) as tls.TLSSocket;
    if (options.ALPNProtocols && !alpnIncludes(options.ALPNProtocols, 'http/1.1'))
      explainAlpn(tls, host, port);
    return tls;
  };
  (tls as { connect: Connect }).connect = patched;
}

/**
 * Adds the PEM certificates in `file` to every secure context that trusts the default roots (no `ca`
 * of its own). Only needed when NODE_EXTRA_CA_CERTS came from an --env-file.
 */
function trustExtraCa(file: string): void {
  const pem = fs.readFileSync(file, 'utf8');
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) throw new Error(`no certificate in ${file}`);
  const create = tls.createSecureContext;
  const probe = create() as SecureContext & { context?: { addCACert?: unknown } };
  if (typeof probe.context?.addCACert !== 'function') throw new Error('cannot add a CA in this Node');
  (tls as { createSecureContext: typeof create }).createSecureContext = function (
    options?: SecureContextOptions,
  ) {
    const context = create.call(this, options) as SecureContext & {
      context: { addCACert(pem: string): void };
    };
    // Node copies the shared root store before adding to it, so other contexts are unaffected.
    if (!options?.ca) for (const certificate of certificates) context.context.addCACert(certificate);
    return context;
  };
}

export = { patchTlsConnect, trustExtraCa };
