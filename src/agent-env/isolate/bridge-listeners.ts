// The bridge's listeners inside the namespace: a resolver that answers every name with 127.0.0.1,
// port 443 for TLS (routed by the ClientHello's server name), and one HTTP port that serves both
// proxy-aware clients (CONNECT or an absolute URL: the child's proxy variables point here) and
// proxy-unaware ones (an ordinary request, routed by Host). Each accepted connection becomes one
// stream to the relay outside, which opens the CONNECT through the gateway as the agent.
//
// Input is the agent's: heads and hellos are bounded, a client that says nothing is cut after a
// while, and a connection the bridge cannot route is refused and reported as a bypass attempt.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { MAX_HELLO_BYTES, peekServerName } from './client-hello.js';
import { answerDnsQuery } from './dns-answer.js';
import { MAX_HEAD_BYTES, peekRequestHead, routeRequest } from './http-head.js';
import { readPrefix, type StreamHeader, splice } from './relay-protocol.js';

export interface BypassSighting {
  protocol: 'tcp' | 'udp';
  destination: string | null;
  detail: string;
}

export interface ListenerOptions {
  relayPath: string;
  httpPort: number;
  onBypass(sighting: BypassSighting): void;
}

/** How long a client may take to send its ClientHello or request head. */
const FIRST_BYTES_TIMEOUT_MS = 30_000;
const TLS_PORT = 443;

export async function startListeners(opts: ListenerOptions): Promise<{ close(): void }> {
  const dns = createSocket('udp4');
  dns.on('message', (query, from) => {
    const answer = answerDnsQuery(query);
    if (answer) dns.send(answer, from.port, from.address);
  });
  dns.on('error', () => {}); // a send to a client that is gone: nothing to do
  await new Promise<void>((resolve, reject) => {
    dns.once('error', reject);
    dns.bind(53, '127.0.0.1', () => {
      dns.off('error', reject);
      resolve();
    });
  });
  const tls = await listenAnywhere(TLS_PORT, (socket) => onTls(socket, opts));
  const http = await listenAnywhere(opts.httpPort, (socket) => onHttp(socket, opts));
  return {
    close() {
      tls.close();
      http.close();
      closeUdp(dns);
    },
  };
}

/** Dual-stack where the kernel has IPv6; with the `local` routes, any destination address lands here. */
async function listenAnywhere(port: number, onSocket: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, onSocket);
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, ipv6Only: false }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen('::');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await listen('0.0.0.0');
  }
  return server;
}

function closeUdp(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

async function onTls(client: Socket, opts: ListenerOptions): Promise<void> {
  const buffered = await firstBytes(
    client,
    (b) => (peekServerName(b).kind === 'need-more' ? undefined : b.length),
    MAX_HELLO_BYTES,
  );
  if (!buffered) return;
  const hello = peekServerName(buffered);
  const destination = destinationOf(client);
  const host = hello.kind === 'tls' ? (hello.serverName ?? nonLoopback(client.localAddress)) : undefined;
  if (host === undefined) {
    opts.onBypass({
      protocol: 'tcp',
      destination,
      detail:
        hello.kind === 'tls' ? 'TLS without a server name to a loopback address' : 'not TLS on port 443',
    });
    client.destroy();
    return;
  }
  toRelay(opts.relayPath, { t: 'tunnel', host, port: TLS_PORT, answer: 'tls' }, buffered, client);
}

async function onHttp(client: Socket, opts: ListenerOptions): Promise<void> {
  const buffered = await firstBytes(
    client,
    (b) => (peekRequestHead(b).kind === 'need-more' ? undefined : b.length),
    MAX_HEAD_BYTES,
  );
  if (!buffered) return;
  const peek = peekRequestHead(buffered);
  const route =
    peek.kind === 'head' ? routeRequest(buffered, peek.head, client.localPort ?? opts.httpPort) : peek;
  if (route.kind === 'need-more' || route.kind === 'invalid') {
    const reason = route.kind === 'invalid' ? route.reason : 'incomplete request';
    client.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ntameflare: ${reason}\n`,
    );
    return;
  }
  if (route.kind === 'connect') {
    toRelay(
      opts.relayPath,
      { t: 'tunnel', host: route.host, port: route.port, answer: 'proxy' },
      route.rest,
      client,
    );
  } else {
    toRelay(
      opts.relayPath,
      { t: 'tunnel', host: route.host, port: route.port, answer: 'http' },
      route.bytes,
      client,
    );
  }
}

/** The client's first bytes up to a complete prefix; undefined (client gone) on close, error or silence. */
async function firstBytes(
  client: Socket,
  complete: (b: Buffer) => number | undefined,
  max: number,
): Promise<Buffer | undefined> {
  client.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => client.destroy());
  client.on('error', () => client.destroy());
  try {
    const { buffered } = await readPrefix(client, complete, max);
    client.setTimeout(0);
    return buffered;
  } catch {
    client.destroy();
    return undefined;
  }
}

/** One stream to the relay per connection: the header line, what was read so far, then both ways. */
function toRelay(relayPath: string, header: StreamHeader, early: Buffer, client: Socket): void {
  const relay = connect({ path: relayPath, allowHalfOpen: true });
  relay.write(`${JSON.stringify(header)}\n`);
  if (early.length > 0) relay.write(early);
  splice(client, relay);
}

function destinationOf(socket: Socket): string | null {
  const address = plainAddress(socket.localAddress);
  if (address === undefined || socket.localPort === undefined) return null;
  return address.includes(':') ? `[${address}]:${socket.localPort}` : `${address}:${socket.localPort}`;
}

/** The address the client dialled when it is not a loopback one (a hard-coded IP, say). */
function nonLoopback(address: string | undefined): string | undefined {
  const plain = plainAddress(address);
  if (plain === undefined || plain === '::1' || plain.startsWith('127.')) return undefined;
  return plain;
}

function plainAddress(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}
