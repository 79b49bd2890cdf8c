// CONNECT tunnels through the proxy, in the two shapes Node's clients need: a callback with the raw
// socket (agents that accept an asynchronous createConnection), and a stream returned at once that
// carries the bytes once the tunnel stands (tls.connect and agents that must return a socket).
//
// The proxy credential goes in Proxy-Authorization on the CONNECT only: it never enters the tunnel.
import type { ProxyServer, SocketCallback } from './preload-types.js';

import http = require('node:http');
import net = require('node:net');
import stream = require('node:stream');

/** A stream over a tunnel still being opened; setReferenced is ref()/unref() for the socket beneath. */
type PendingTunnel = stream.Duplex & { setReferenced(ref: boolean): void };

// Taken before the preload patches http.request, so that a tunnel's own CONNECT never comes back
// through the patches.
const request = http.request;

/** Describes a refused CONNECT with the proxy's own explanation (the gateway answers problem+json). */
class TunnelRefusedError extends Error {
  readonly statusCode: number;
  constructor(authority: string, statusCode: number, statusMessage: string, body: string) {
    super(`proxy refused tunnel to ${authority}: ${statusCode} ${statusMessage}${body ? ` ${body}` : ''}`);
    this.name = 'TunnelRefusedError';
    this.statusCode = statusCode;
  }
}

/** CONNECT host:port through the proxy; the callback gets the raw tunnel socket. */
function openTunnel(proxy: ProxyServer, host: string, port: number, cb: SocketCallback): void {
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const headers: http.OutgoingHttpHeaders = { host: authority };
  if (proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
  // No timeout: the gateway may hold a tunnel while a person approves it, and it bounds that hold.
  const req = request({
    method: 'CONNECT',
    path: authority,
    headers,
    host: proxy.host,
    port: proxy.port,
    createConnection: () => net.connect({ host: proxy.host, port: proxy.port }),
  });
  req.once('connect', (res, socket, head) => {
    if (res.statusCode === 200) {
      if (head.length > 0) socket.unshift(head);
      cb(null, socket);
      return;
    }
    socket.destroy();
    const body = head.toString('utf8', 0, 500).trim();
    cb(new TunnelRefusedError(authority, res.statusCode ?? 0, res.statusMessage ?? '', body));
  });
  req.once('error', (err) => cb(err));
  req.end();
}

/**
 * A stream to hand to tls.connect({ socket }) straight away: it opens the tunnel and holds what is
 * written until the tunnel stands (Duplex `construct` defers reads and writes until then). A refused
 * tunnel destroys it with the proxy's explanation, which TLS reports as the connection's error.
 * TLS then runs over a JavaScript stream, a little slower than over a socket: it is only used where
 * the caller needs a socket back synchronously.
 */
function pendingTunnel(proxy: ProxyServer, host: string, port: number): PendingTunnel {
  let socket: net.Socket | undefined;
  let referenced = true;
  const duplex = new stream.Duplex({
    construct(done) {
      openTunnel(proxy, host, port, (err, opened) => {
        if (err || !opened) return done(err ?? new Error('proxy tunnel closed'));
        socket = opened as net.Socket;
        if (!referenced) socket.unref();
        socket.on('data', (chunk: Buffer) => {
          if (!duplex.push(chunk)) socket!.pause();
        });
        socket.on('end', () => duplex.push(null));
        socket.on('error', (error) => duplex.destroy(error));
        socket.on('close', () => duplex.destroy());
        done();
      });
    },
    read() {
      socket?.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      socket!.write(chunk, done);
    },
    final(done) {
      socket!.end(done);
    },
    destroy(err, done) {
      socket?.destroy();
      done(err);
    },
  }) as PendingTunnel;
  duplex.setReferenced = (ref: boolean) => {
    referenced = ref;
    if (ref) socket?.ref();
    else socket?.unref();
  };
  return duplex;
}

/**
 * TLS over a stream does not pass ref()/unref() down to the socket beneath, so an idle keep-alive
 * connection (which Node's agents unref) would keep the process from exiting: pass them on.
 */
function linkRefs(tlsSocket: net.Socket, tunnel: PendingTunnel): net.Socket {
  const { ref, unref } = tlsSocket;
  tlsSocket.ref = function () {
    tunnel.setReferenced(true);
    return ref.call(this);
  };
  tlsSocket.unref = function () {
    tunnel.setReferenced(false);
    return unref.call(this);
  };
  return tlsSocket;
}

export = { openTunnel, pendingTunnel, linkRefs, TunnelRefusedError };
