// Stopping the database server mid-traffic loses no gateway event (issue 18, tests): a gateway sends
// traffic through without pause while its control plane's PostgreSQL server is stopped and started
// again. Meanwhile the control plane says the database is unreachable (/health 503, `tameflare
// status`) and the gateway goes on proxying from its cached configuration (the seed's independence
// table: a database outage is a control-plane outage); afterwards every event is in the database (the
// seed's count check is equal) and the audit chain verifies.
//
// The server is this file's own (stopping the project's shared one would fail every other file).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  configureApprovals,
  curlVia,
  type RecordingUpstream,
  startRecordingUpstream,
} from '../approvals/approval-helpers.js';
import { cliFor, eventually } from '../cli/cli-harness.js';
import { type PostgresServer, startPostgresServer } from '../helpers/postgres-server.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

const SERVICE_TOKEN = 'outage-service-token-0123456789abcdef';
let server: PostgresServer;
let control: DaemonProcess;
let gateway: DaemonProcess;
let upstream: RecordingUpstream;
let proxy: string;

async function query<T>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const health = async () => {
  const res = await fetch(`${control.controlUrl}/health`).catch((err: Error) => {
    // The control plane must outlive its database: say why it did not.
    throw new Error(`${err.message}; the control plane's log ends:\n${control.logs().slice(-4000)}`);
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const trafficRows = () =>
  Number(
    execFileSync('sqlite3', [join(gateway.dataDir, 'gateway.db'), 'select count(*) from traffic_log'], {
      encoding: 'utf8',
    }).trim(),
  );

beforeAll(async () => {
  if (!inject('postgresUrl')) return;
  server = startPostgresServer();
  control = await startDaemonProcess({
    args: ['--role', 'control'],
    env: { TAMEFLARE_DATABASE_URL: server.url, GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN },
  });
  upstream = await startRecordingUpstream();
  gateway = await startDaemonProcess({
    args: [
      '--role',
      'gateway',
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.server.port}`,
    ],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, CONTROL_PLANE_URL: control.controlUrl },
  });
  const cli = cliFor(control);
  await configureApprovals(cli, control.dataDir);
  const added = await cli(['agent', 'add', 'steady-bot', '--json']);
  const key = (JSON.parse(added.stdout) as { key: string }).key;
  await cli(['permissions', 'preset', '--agent', 'steady-bot', '--connector', 'plain', 'allow-all']);
  proxy = `http://steady-bot:${key}@${new URL(gateway.gatewayUrl).host}`;
  await eventually(
    async () => (await curlVia(proxy, 'http://plain.test/ready')).status,
    (s) => s === 200,
    'the configuration at the gateway',
    20_000,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), control?.stop()]);
  await upstream?.server.close();
  server?.destroy();
}, 60_000);

describe('the database server stopped and started mid-traffic', () => {
  it('loses no gateway event, says the database is unreachable meanwhile, and the gateway keeps proxying', async () => {
    const statuses: number[] = [];
    let stop = false;
    let sent = 0;
    // One agent sending without pause, before, during and after the outage.
    const traffic = (async () => {
      while (!stop) statuses.push((await curlVia(proxy, `http://plain.test/steady/${sent++}`)).status);
    })();
    try {
      await eventually(
        async () => sent,
        (n) => n >= 5,
        'traffic before the outage',
      );
      server.stop();
      const before = sent;

      const down = await eventually(health, (h) => h.status === 503, 'the control plane noticing', 20_000);
      expect(down.body).toMatchObject({ database: 'error', database_kind: 'postgres' });
      const status = await cliFor(control)(['status']);
      expect(status.stdout).toMatch(/database postgres error/);
      // Proxying goes on from the cached configuration while the database is away.
      await eventually(
        async () => sent,
        (n) => n >= before + 10,
        'traffic during the outage',
        30_000,
      );

      server.start();
      await eventually(health, (h) => h.status === 200, 'the control plane recovering', 30_000);
      const after = sent;
      await eventually(
        async () => sent,
        (n) => n >= after + 5,
        'traffic after the outage',
        30_000,
      );
    } finally {
      stop = true;
      await traffic;
    }
    expect(
      statuses.every((s) => s === 200),
      JSON.stringify(statuses),
    ).toBe(true);

    // The seed's count check: every request the gateway logged is an action event, once.
    await eventually(
      async () => {
        const [row] = await query<{ n: number }>(
          "select count(*)::int as n from audit_events where event_type like 'action.%'",
        );
        return [row!.n, trafficRows()];
      },
      // The traffic log is written in batches: count only once every request sent is in it.
      ([events, rows]) => events === rows && rows! >= sent,
      'the outbox drained into the audit log',
      60_000,
    );
    const verify = await cliFor(control)(['audit', 'verify', '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  });
});
