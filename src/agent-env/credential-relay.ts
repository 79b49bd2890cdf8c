// A loopback proxy that `tameflare run` offers to clients that cannot send proxy credentials: Java's
// HttpURLConnection and java.net.http.HttpClient read the proxy from system properties but take no
// user or password from anywhere but code (an Authenticator). The relay adds the agent's
// Proxy-Authorization and passes everything on to the gateway, byte for byte after the request head.
//
// Threat model: whoever can use the relay acts as the agent for as long as the run lasts. It listens
// on 127.0.0.1 only, on a random port, and on Linux it serves only connections from processes of the
// same user (the socket owner in /proc/net/tcp), who could read the agent's environment anyway.
// It never sees TLS plaintext (CONNECT is relayed as a tunnel) and never logs the credential.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

export interface CredentialRelay {
  host: string;
  port: number;
  close(): Promise<void>;
}

interface Upstream {
  host: string;
  port: number;
  authorization: string;
}

function upstreamOf(proxyUrl: string): Upstream {
  const url = new URL(proxyUrl);
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port) || 80,
    authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
  };
}

/** The uid owning the local end `port` of a TCP connection to us, from /proc; undefined off Linux. */
function peerUid(peerPort: number, relayPort: number): number | undefined {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex(peerPort)}`) && cols[2]?.endsWith(`:${hex(relayPort)}`))
        return Number(cols[7]);
    }
  }
  return undefined;
}

export async function startCredentialRelay(proxyUrl: string): Promise<CredentialRelay> {
  const upstream = upstreamOf(proxyUrl);
  const sockets = new Set<Socket>();
  const ownUid = process.getuid?.();
  let relayPort = 0;

  const trusted = (socket: Socket): boolean => {
    if (ownUid === undefined || !socket.remotePort) return true;
    const uid = peerUid(socket.remotePort, relayPort);
    return uid === undefined ? !existsProc() : uid === ownUid;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!trusted(req.socket)) {
      res.writeHead(403).end('not your relay\n');
      return;
    }
    if (!/^https?:\/\//i.test(req.url ?? '')) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('this is a proxy: send absolute-form requests\n');
      return;
    }
    const headers = { ...req.headers, 'proxy-authorization': upstream.authorization };
    const forward = request(
      { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent)
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`gateway unreachable: ${err.message}\n`);
      else res.destroy();
    });
    req.pipe(forward);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    if (!trusted(client)) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const target = req.url ?? '';
    const gateway = connect(upstream.port, upstream.host, () => {
      // The gateway's own answer (200, or a refusal with its reason) goes back to the client as is.
      gateway.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${upstream.authorization}\r\n\r\n`,
      );
      if (head.length > 0) gateway.write(head);
      gateway.pipe(client);
      client.pipe(gateway);
    });
    sockets.add(gateway);
    gateway.on('close', () => {
      sockets.delete(gateway);
      client.destroy();
    });
    gateway.on('error', () => {
      if (gateway.bytesRead === 0 && client.writable) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      } else {
        client.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  relayPort = (server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port: relayPort,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function existsProc(): boolean {
  try {
    readFileSync('/proc/net/tcp', 'utf8');
    return true;
  } catch {
    return false;
  }
}
