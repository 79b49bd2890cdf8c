// Shared pieces of the agent-env tests: the built preload's location, a minimal base environment, a
// child runner that captures output, and local upstream servers that report what reached them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PRELOAD_PATH = fileURLToPath(new URL('../../dist/src/agent-env/preload.js', import.meta.url));
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
}

export interface Upstream {
  port: number;
  arrivals: Arrival[];
  close(): Promise<void>;
}

/** Answers every request with a JSON description of what it received. */
export async function startUpstream(tls?: { cert: string; key: string }): Promise<Upstream> {
  const arrivals: Arrival[] = [];
  const handler: http.RequestListener = (req, res) => {
    const arrival: Arrival = {
      scheme: tls ? 'https' : 'http',
      path: req.url ?? '',
      host: req.headers.host,
      proxyAuthorization: req.headers['proxy-authorization'],
    };
    arrivals.push(arrival);
    const status = req.url?.includes('.git/') ? 404 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(arrival));
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
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
