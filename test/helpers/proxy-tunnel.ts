// Raw proxy conversations for tests: a CONNECT whose answer (and problem+json body) is inspected, and
// a TLS session over an accepted tunnel, as node:https clients do it.
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';

export interface ConnectResult {
  status: number;
  /** The status line's reason phrase. */
  reason: string;
  headers: http.IncomingHttpHeaders;
  /** The refusal's body (problem+json) when status is not 200. */
  body: string;
  socket: Socket;
}

export function basicAuth(user: string, key: string): string {
  return `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
}

export function openTunnel(proxyPort: number, target: string, auth?: string): Promise<ConnectResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: proxyPort,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...(auth ? { 'proxy-authorization': auth } : {}) },
    });
    req.on('connect', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      if (res.statusCode === 200) {
        if (head.length > 0) socket.unshift(head);
        resolve({ status: 200, reason: res.statusMessage ?? '', headers: res.headers, body: '', socket });
        return;
      }
      let body = head.toString('utf8');
      socket.on('data', (d: Buffer) => {
        body += d.toString('utf8');
      });
      socket.on('error', () => {});
      socket.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          reason: res.statusMessage ?? '',
          headers: res.headers,
          body,
          socket,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** TLS over an open tunnel, trusting `caPem`, with `servername` as SNI (undefined: none). */
export function tlsOverTunnel(
  socket: Socket,
  servername: string | undefined,
  caPem: string,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket, servername, ca: caPem, ALPNProtocols: ['http/1.1'] });
    t.once('secureConnect', () => resolve(t));
    t.once('error', reject);
  });
}
