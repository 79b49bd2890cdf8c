// Shared pieces of the agent-env tests: the built preload's location, a minimal base environment, a
// child runner that captures output, and local upstream servers that report what reached them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PRELOAD_PATH = fileURLToPath(new URL('../../dist/src/agent-env/preload.cjs', import.meta.url));
export const RUN_CHILD_PATH = fileURLToPath(
  new URL('../../dist/src/agent-env/run-child.js', import.meta.url),
);

/** These tests run the built output, as `tameflare run` would (`npm test` builds first). */
export function assertBuilt(): void {
  for (const path of [PRELOAD_PATH, RUN_CHILD_PATH]) {
    if (!existsSync(path))
      throw new Error(`${path} is missing: build first with \`npx tsc -p tsconfig.json\``);
  }
}

/** Only what the tools need to start, so that a developer's own proxy settings cannot leak in. */
export function minimalBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (/^(PATH|HOME|LANG|TMPDIR)$/.test(name) || name.startsWith('PYENV'))) {
      env[name] = value;
    }
  }
  return env;
}

export interface ChildOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCaptured(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd = REPO_ROOT,
): Promise<ChildOutput> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd, timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Arrival {
  scheme: 'http' | 'https';
  path: string;
  host: string | undefined;
  proxyAuthorization: string | undefined;
  contentLength?: string | undefined;
  /** 'websocket' for an upgrade, 'h2' for an HTTP/2 stream. */
  protocol?: string;
}

export interface Upstream {
  port: number;
  arrivals: Arrival[];
  close(): Promise<void>;
}

/**
 * Answers every request with a JSON description of what it received; a WebSocket upgrade is answered
 * (and recorded) too, and echoes `echo:<message>`.
 */
export async function startUpstream(tls?: { cert: string; key: string }): Promise<Upstream> {
  const arrivals: Arrival[] = [];
  const scheme = tls ? 'https' : 'http';
  const handler: http.RequestListener = (req, res) => {
    const arrival: Arrival = {
      scheme,
      path: req.url ?? '',
      host: req.headers.host,
      proxyAuthorization: req.headers['proxy-authorization'],
      contentLength: req.headers['content-length'],
    };
    arrivals.push(arrival);
    req.resume();
    req.on('end', () => {
      const status = req.url?.includes('.git/') ? 404 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(arrival));
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    arrivals.push({
      scheme,
      path: req.url ?? '',
      host: req.headers.host,
      proxyAuthorization: req.headers['proxy-authorization'],
      protocol: 'websocket',
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => ws.send(`echo:${data.toString()}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP/2 server over TLS that answers each stream with a JSON description of it. */
export async function startHttp2Upstream(tls: { cert: string; key: string }): Promise<Upstream> {
  const arrivals: Arrival[] = [];
  const server = http2.createSecureServer({ ...tls, allowHTTP1: false });
  server.on('stream', (stream, headers) => {
    const arrival: Arrival = {
      scheme: 'https',
      path: String(headers[':path'] ?? ''),
      host: String(headers[':authority'] ?? ''),
      proxyAuthorization: headers['proxy-authorization'] as string | undefined,
      protocol: 'h2',
    };
    arrivals.push(arrival);
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify(arrival));
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
