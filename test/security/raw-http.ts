// Exact bytes on a socket, as an attacker would send them: no client library normalises, reorders or
// refuses anything. Responses are read until the peer closes (tests send `Connection: close` or expect
// the gateway to close) and split into messages by their own framing.
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` on a new connection to 127.0.0.1:port and returns everything read until close. */
export function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  return exchangeOn(socket, bytes);
}

/** Writes `bytes` on an open socket (plain or TLS) and reads until the peer closes it. */
export function exchangeOn(socket: net.Socket, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // A guard against a hang, not a timing assertion: no answer at all fails the test clearly.
    socket.setTimeout(15_000, () => socket.destroy(new Error('no close from the gateway within 15 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      // A reset after a complete answer is still an answer.
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(err);
    });
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    const write = () => socket.write(bytes);
    if (socket.connecting) socket.once('connect', write);
    else write();
  });
}

/** Splits a byte stream into HTTP/1.1 responses (Content-Length or chunked bodies). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.slice(end + 4);
    let body = '';
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = rest.slice(0, length);
      rest = rest.slice(length);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      for (;;) {
        const nl = rest.indexOf('\r\n');
        const size = Number.parseInt(rest.slice(0, nl), 16);
        rest = rest.slice(nl + 2);
        if (!size) {
          rest = rest.slice(rest.indexOf('\r\n') + 2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else if (!/^HTTP\/1\.[01] (1\d\d|204|304)/.test(statusLine!)) {
      body = rest;
      rest = '';
    }
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body });
  }
  return out;
}

/** One response; fails with the raw text when there is not exactly one. */
export function onlyResponse(text: string): RawResponse {
  const all = parseResponses(text);
  if (all.length !== 1) throw new Error(`expected one response, got ${all.length}: ${JSON.stringify(text)}`);
  return all[0]!;
}

/** The problem+json document of a response (fails when it is not one). */
export function problemOf(r: RawResponse): Record<string, unknown> {
  if (!r.headers['content-type']?.startsWith('application/problem+json')) {
    throw new Error(`not problem+json (${r.status} ${r.headers['content-type']}): ${r.body}`);
  }
  return JSON.parse(r.body) as Record<string, unknown>;
}

/**
 * Opens a tunnel with an exact CONNECT line; resolves to the socket after `200`, or rejects with the
 * refusal's raw text.
 */
export function rawConnect(port: number, target: string, auth: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      const text = head.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 200 /.test(text)) {
        socket.destroy();
        reject(new Error(`CONNECT refused: ${head.toString('latin1')}`));
        return;
      }
      const extra = head.subarray(end + 4);
      if (extra.length > 0) socket.unshift(extra);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${auth}\r\n\r\n`);
  });
}

/** TLS (trusting `caPem`) over an open tunnel. */
export function tlsOver(socket: net.Socket, servername: string, caPem: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket, servername, ca: caPem, ALPNProtocols: ['http/1.1'] });
    t.once('secureConnect', () => resolve(t));
    t.once('error', reject);
  });
}

/** A TLS session to `host:443` through the gateway, ready for raw HTTP bytes. */
export async function interceptedSession(
  port: number,
  host: string,
  auth: string,
  caPem: string,
): Promise<tls.TLSSocket> {
  return tlsOver(await rawConnect(port, `${host}:443`, auth), host, caPem);
}
