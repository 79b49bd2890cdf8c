// The pieces of a split deployment on one machine, as an operator would run them on two hosts: each
// role its own process and data directory, the shared service token in the environment, a fake
// api.github.com over real TLS upstream, and curl as the agent's client.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';

export const SERVICE_TOKEN = 'split-service-token-0123456789abcdef';

/** Retries an assertion until it passes or the deadline is over (then throws its last failure). */
export async function until(assertion: () => unknown, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** One number from the seed's sqlite3 queries, run with the sqlite3 command-line tool. */
export const sql = (dir: string, db: string, q: string) =>
  Number(execFileSync('sqlite3', [join(dir, db), q], { encoding: 'utf8' }).trim());

/** The seed's discrepancy check: today's gateway traffic rows and control-plane action events. */
export function seedCounts(gatewayDir: string, controlDir: string): { gateway: number; control: number } {
  return {
    gateway: sql(
      gatewayDir,
      'gateway.db',
      "SELECT COUNT(*) FROM traffic_log WHERE created_at > date('now');",
    ),
    control: sql(
      controlDir,
      'local.db',
      "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%' AND created_at > date('now');",
    ),
  };
}

/** What the tests read of either role's /health (both answer more). */
export interface HealthBody {
  status: string;
  uptime_seconds: number;
  agents?: number;
  connectors?: number;
  outbox_backlog?: number | null;
  control_plane?: { status: string; config_version: number | null; connected: boolean };
  decision_tokens?: {
    verification: 'control_plane' | 'skipped' | 'not_configured';
    accepted: number;
    refused: number;
    skipped: number;
    last_skipped_at: string | null;
  };
  agent_port_range?: { start: number; end: number; errors: Record<string, string> };
  gateways?: {
    name: string;
    status: string;
    config_version: number;
    applied_config_version: number | null;
    outbox_backlog: number | null;
  }[];
}

export async function health(url: string): Promise<HealthBody> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as HealthBody;
}

export interface Upstream {
  work: string;
  /** The CA the fake upstream's certificate chains to (the gateway's --upstream-ca). */
  caFile: string;
  api: FakeUpstream;
  server: RunningServer<import('node:https').Server>;
  /** Gateway flags that send api.github.com:443 to the fake and allow dialling loopback. */
  gatewayArgs: string[];
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const work = mkdtempSync(join(tmpdir(), 'tf-split-'));
  const ca = await createTestCa();
  const caFile = join(work, 'upstream-ca.pem');
  writeFileSync(caFile, ca.certPem);
  const api = createFakeUpstream('api.github.com');
  const server = await startHttpsServer(api.handler, { hosts: ['api.github.com'], ca });
  return {
    work,
    caFile,
    api,
    server,
    gatewayArgs: [
      '--upstream-ca',
      caFile,
      '--connect-to',
      `api.github.com:443:127.0.0.1:${server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
    async close() {
      await server.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export function startControl(opts: { dataDir: string; port: number; env?: Record<string, string> }) {
  return startDaemonProcess({
    dataDir: opts.dataDir,
    args: ['--role', 'control', '--port', String(opts.port)],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, ...opts.env },
  });
}

export function startGateway(opts: {
  dataDir: string;
  port: number;
  controlUrl: string;
  upstream: Upstream;
  name?: string;
  portStart: number;
  portEnd: number;
  env?: Record<string, string>;
}): Promise<DaemonProcess> {
  return startDaemonProcess({
    dataDir: opts.dataDir,
    args: [
      '--role',
      'gateway',
      '--gateway-port',
      String(opts.port),
      '--public-url',
      `http://127.0.0.1:${opts.port}`,
      '--agent-port-start',
      String(opts.portStart),
      '--agent-port-end',
      String(opts.portEnd),
      ...(opts.name ? ['--gateway-name', opts.name] : []),
      ...opts.upstream.gatewayArgs,
    ],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, CONTROL_PLANE_URL: opts.controlUrl, ...opts.env },
  });
}

/** A request made by curl through the gateway, trusting `caFile`: the status and the body. */
export function curl(
  proxyUrl: string,
  caFile: string,
  url: string,
  extra: string[] = [],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      [
        '-sS',
        '--max-time',
        '20',
        '--proxy',
        proxyUrl,
        '--cacert',
        caFile,
        '-w',
        '\n%{http_code}',
        ...extra,
        url,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`curl ${url}: ${stderr || err.message}`));
        const cut = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
      },
    );
  });
}
