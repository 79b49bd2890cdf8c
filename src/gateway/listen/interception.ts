// Threat model: an agent opens CONNECT tunnels and, inside them, speaks TLS to what it believes is the
// upstream. The gateway terminates that TLS with a leaf minted by the data directory's CA for exactly
// the CONNECT host, so it sees (and decides on) every request. Controls: CONNECT to a host no
// connector covers is refused before any handshake; the leaf is minted from the CONNECT host, never
// from SNI (IP literals carry no SNI); an SNI naming another host fails the handshake, and a request
// whose Host names another host gets 421, so one tunnel cannot be used to reach a second host past
// the connector check; the identity presented at CONNECT is re-checked on every inner request, so a
// suspended agent or a revoked key stops working inside a tunnel that is already open.
// Connectors with intercept=false are tunnelled raw: one decision per tunnel, nothing injected.
import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { PresentedIdentity } from '../pipeline/identity.js';

/** What a tunnel was opened for; attached to each socket handed to the inner server. */
export interface TunnelContext {
  host: string; // CONNECT host, normalised
  port: number;
  who: PresentedIdentity;
  agent: string; // the agent identified at CONNECT time
  secure: boolean; // TLS inside the tunnel (decided by sniffing the first byte)
  /** Armed until the first request arrives: a tunnel that never gets that far is closed. */
  firstRequestTimer?: NodeJS.Timeout | undefined;
}

/** How long a tunnel may take from CONNECT to its first request (handshake included). */
export const FIRST_REQUEST_TIMEOUT_MS = 30_000;

const TLS_HANDSHAKE = 0x16;

export interface InterceptionOptions {
  inner: http.Server;
  /** Called for every tunnel socket handed to the inner server (TLS-wrapped or plain). */
  onTunnelSocket(socket: net.Socket, ctx: TunnelContext): void;
  onTlsError(err: Error, ctx: TunnelContext): void;
}

/**
 * The object handed to proxy-chain as `customConnectServer`: proxy-chain writes `200 Connection
 * Established` and emits the client socket on it. One per tunnel, so the socket arrives with its
 * context; proxy-chain only ever calls `emit('connection', socket)` on it.
 */
export function interceptingConnectServer(
  opts: InterceptionOptions,
  ctx: Omit<TunnelContext, 'secure'>,
  secureContext: Promise<tls.SecureContext>,
): http.Server {
  const emitter = new EventEmitter();
  emitter.once('connection', (socket: net.Socket) => {
    sniff(socket, (firstByte) => {
      if (firstByte !== TLS_HANDSHAKE) {
        // Plain HTTP inside CONNECT (undici tunnels http:// URLs this way by default).
        const plain = { ...ctx, secure: false };
        opts.onTunnelSocket(socket, plain);
        opts.inner.emit('connection', socket);
        socket.resume(); // sniff() paused it explicitly; the inner server's data listener does not undo that
        return;
      }
      const secure = { ...ctx, secure: true };
      secureContext.then(
        (context) => {
          if (socket.destroyed) return;
          const tlsSocket = new tls.TLSSocket(socket, {
            isServer: true,
            secureContext: context,
            ALPNProtocols: ['http/1.1'],
            SNICallback: (servername, cb) => {
              if (normaliseSni(servername) !== ctx.host) {
                cb(
                  new Error(`SNI ${JSON.stringify(servername.slice(0, 80))} does not match the CONNECT host`),
                );
                return;
              }
              cb(null, context);
            },
          });
          tlsSocket.on('error', (err) => {
            opts.onTlsError(err, secure);
            socket.destroy();
          });
          opts.onTunnelSocket(tlsSocket, secure);
          opts.inner.emit('connection', tlsSocket);
        },
        (err: Error) => {
          opts.onTlsError(err, secure);
          socket.destroy();
        },
      );
    });
  });
  return emitter as unknown as http.Server;
}

/** A `customConnectServer` that splices the client socket onto an already-dialled upstream socket. */
export function rawTunnelConnectServer(
  upstream: net.Socket,
  onClosed: (bytes: { fromAgent: number; toAgent: number }) => void,
  onOpen: (client: net.Socket) => void,
): http.Server {
  const emitter = new EventEmitter();
  emitter.once('connection', (client: net.Socket) => {
    onOpen(client);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      client.destroy();
      upstream.destroy();
      onClosed({ fromAgent: upstream.bytesWritten, toAgent: upstream.bytesRead });
    };
    client.on('error', finish);
    upstream.on('error', finish);
    client.on('close', finish);
    upstream.on('close', finish);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return emitter as unknown as http.Server;
}

function sniff(socket: net.Socket, then: (firstByte: number | undefined) => void): void {
  // A client that opens a tunnel and sends nothing must not hold the socket forever. proxy-chain
  // destroys a socket on 'timeout'; the timeout is cleared once the first byte is in, because after
  // the TLS wrap this object no longer sees the traffic (the wrap reads the handle directly).
  socket.setTimeout(FIRST_REQUEST_TIMEOUT_MS);
  const onData = (chunk: Buffer) => {
    socket.setTimeout(0);
    socket.removeListener('close', onClose);
    socket.removeListener('end', onEnd);
    socket.pause();
    socket.unshift(chunk);
    then(chunk[0]);
  };
  const onClose = () => socket.removeListener('data', onData);
  // The listening server allows half-open sockets (its HTTP parser closes them), but nobody parses
  // this one yet: an agent that closes its side before sending a byte would otherwise leave the socket
  // open until the timeout, and a shutdown waiting for it.
  const onEnd = () => socket.destroy();
  socket.once('data', onData);
  socket.once('close', onClose);
  socket.once('end', onEnd);
  socket.resume();
}

function normaliseSni(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
