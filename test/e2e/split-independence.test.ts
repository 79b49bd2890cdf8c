// The architecture page's independence table, with the two roles in two processes: the gateway keeps
// proxying on its cached configuration while the control plane is down, its events wait in the
// outbox, and they all arrive (once, in order) when the control plane is back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, proxyStatus } from '../cli/cli-harness.js';
import { freePort } from '../helpers/cli-process.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';

const SERVICE_TOKEN = 'split-service-token-0123456789abcdef';
let dirs: { control: string; gateway: string };
let ports: { control: number; gateway: number };
let upstream: RunningServer<import('node:http').Server>;
let control: DaemonProcess | undefined;
let gateway: DaemonProcess;
let proxyUrl: string;

const startControl = () =>
  startDaemonProcess({
    dataDir: dirs.control,
    args: ['--role', 'control', '--port', String(ports.control)],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, GATEWAY_URL: `http://127.0.0.1:${ports.gateway}` },
  });

/** Retries an assertion until it passes or the deadline is over (then throws its last failure). */
async function until(assertion: () => unknown, timeoutMs = 10_000): Promise<void> {
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

const sql = (dir: string, db: string, q: string) =>
  Number(execFileSync('sqlite3', [join(dir, db), q], { encoding: 'utf8' }).trim());

beforeAll(async () => {
  dirs = { control: mkdtempSync(join(tmpdir(), 'tf-cp-')), gateway: mkdtempSync(join(tmpdir(), 'tf-gw-')) };
  ports = { control: await freePort(), gateway: await freePort() };
  upstream = await startHttpServer((_req, res) => res.end('upstream ok'));
  control = await startControl();
  gateway = await startDaemonProcess({
    dataDir: dirs.gateway,
    args: [
      '--role',
      'gateway',
      '--gateway-port',
      String(ports.gateway),
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.port}`,
    ],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, CONTROL_PLANE_URL: control.controlUrl },
  });
  const cli = cliFor(control);
  const agent = JSON.parse((await cli(['agent', 'add', 'split-bot', '--json'])).stdout) as { key: string };
  proxyUrl = `http://split-bot:${agent.key}@127.0.0.1:${ports.gateway}`;
  expect(
    (await cli(['connector', 'add', 'generic', '--name', 'plain', '--domains', 'plain.test'])).code,
  ).toBe(0);
  expect(
    (await cli(['permissions', 'preset', '--agent', 'split-bot', '--connector', 'plain', 'allow-all'])).code,
  ).toBe(0);
  // The configuration reaches the other process through the stream.
  await until(async () => expect(await proxyStatus(proxyUrl, 'http://plain.test/ready')).toBe(200));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await control?.stop();
  await upstream?.close();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
});

describe('split deployment', () => {
  it('both running: requests are proxied and their action events reach the audit log', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${ports.gateway}/health`)).json()) as Record<
      string,
      unknown
    >;
    expect(health.control_plane).toMatchObject({
      configured: true,
      connected: true,
      url: control!.controlUrl,
    });
    expect(await proxyStatus(proxyUrl, 'http://plain.test/both')).toBe(200);
    await until(() =>
      expect(
        sql(dirs.control, 'local.db', "select count(*) from audit_events where event_type like 'action.%'"),
      ).toBe(sql(dirs.gateway, 'gateway.db', 'select count(*) from traffic_log')),
    );
  });

  it('control plane down: the gateway keeps proxying on its cached configuration, and loses nothing', async () => {
    // Exit 0, not the helper's SIGKILL: a connected gateway's stream must not hold shutdown up.
    expect(await control!.stop()).toEqual({ code: 0, signal: null });
    control = undefined;
    for (let i = 0; i < 5; i++)
      expect(await proxyStatus(proxyUrl, `http://plain.test/offline-${i}`)).toBe(200);
    // Unknown agents are still refused: the cache is the configuration, not an open door.
    expect(
      await proxyStatus('http://nobody:tf_agent_x@127.0.0.1:' + ports.gateway, 'http://plain.test/x'),
    ).toBe(407);
    const health = (await (await fetch(`http://127.0.0.1:${ports.gateway}/health`)).json()) as {
      status: string;
    };
    expect(health.status).toBe('ok');
    // Completed rows and their events are written in batches (~50 ms), hence the wait.
    await until(() =>
      expect(sql(dirs.gateway, 'gateway.db', 'select count(*) from outbox')).toBeGreaterThanOrEqual(5),
    );
  });

  it('control plane back: the backlog arrives once and the seed discrepancy check balances', async () => {
    control = await startControl();
    await until(() => {
      expect(sql(dirs.gateway, 'gateway.db', 'select count(*) from outbox')).toBe(0);
      expect(
        sql(
          dirs.control,
          'local.db',
          "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%' AND created_at > date('now');",
        ),
      ).toBe(
        sql(dirs.gateway, 'gateway.db', "SELECT COUNT(*) FROM traffic_log WHERE created_at > date('now');"),
      );
    }, 30_000);
    expect(
      sql(
        dirs.gateway,
        'gateway.db',
        "SELECT COUNT(*) FROM traffic_log WHERE decision IS NULL AND created_at > date('now');",
      ),
    ).toBe(0);
    const offline = sql(
      dirs.control,
      'local.db',
      "select count(*) from audit_events where details like '%/offline-%'",
    );
    expect(offline).toBe(5);
  });
});
