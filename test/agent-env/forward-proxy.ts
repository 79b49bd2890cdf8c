// A minimal forward proxy standing in for the gateway: absolute-form HTTP and CONNECT, each recorded
// with the Proxy-Authorization it carried. It resolves fake names itself (`routes`), so a client that
// reaches `upstream.test` at all must have gone through it.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

export interface SeenRequest {
  kind: 'absolute' | 'connect';
  /** The absolute URL, or `host:port` for CONNECT. */
  target: string;
  /** Decoded `user:password` from Proxy-Authorization, or null. */
  credentials: string | null;
}

export interface ForwardProxy {
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** `host:port` as the client names it → local port to dial on 127.0.0.1. */
  routes: Record<string, number>;
  /** When set, anything else gets 407. */
  credentials?: string;
}

function decode(header: string | undefined): string | null {
  if (!header?.startsWith('Basic ')) return null;
  return Buffer.from(header.slice(6), 'base64').toString('utf8');
}

export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  const allowed = (credentials: string | null) =>
    options.credentials === undefined || credentials === options.credentials;

  const server = http.createServer((req, res) => {
    const credentials = decode(req.headers['proxy-authorization']);
    const target = req.url ?? '';
    seen.push({ kind: 'absolute', target, credentials });
    if (!allowed(credentials)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const url = new URL(target);
    const port = options.routes[`${url.hostname}:${url.port || 80}`];
    if (port === undefined) {
      res.writeHead(502).end('no route');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: url.pathname + url.search, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const credentials = decode(req.headers['proxy-authorization']);
    const target = req.url ?? '';
    seen.push({ kind: 'connect', target, credentials });
    client.on('error', () => client.destroy());
    if (!allowed(credentials)) {
      // git (libcurl) always asks without credentials first, and treats a close after a 407 that did
      // not announce `Connection: close` as an aborted CONNECT instead of retrying with them.
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n' +
          'Content-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    const port = options.routes[target];
    if (port === undefined) {
      const body = JSON.stringify({ code: 'connector_not_found', detail: `no route to ${target}` });
      client.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/problem+json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
