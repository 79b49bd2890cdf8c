// Issue 9 item 7: `kill -9` of the daemon under load. After the restart no row stays open (rows the
// killed run left open are closed as `error = 'interrupted'`, each with an `action.interrupted`
// event), so the seed's two counts agree (gateway traffic_log vs control plane action.% events); in
// strict durability every request the upstream saw has a row. Bounded: a few hundred requests on
// loopback, some of them held by the upstream so that requests are in flight when the kill lands.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, eventually, proxyStatus } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';

const CLIENTS = 8;
const KILL_AFTER = 150; // requests seen by the upstream

let upstream: RunningServer<http.Server>;
const seen = new Set<string>();
/** Answers of the `-long` requests, held until the end of the file. */
const parked: http.ServerResponse[] = [];

beforeAll(async () => {
  upstream = await startHttpServer((req, res) => {
    seen.add(req.url ?? '');
    // A `-long` request is held until the end: one request surely in flight (and its arrival row
    // written) when the kill lands, whatever the phase of the load.
    if ((req.url ?? '').endsWith('-long')) {
      parked.push(res);
      return;
    }
    // Two requests in ten are held a while: some are always in flight, as in real traffic.
    const held = (req.url ?? '').endsWith('-3') || (req.url ?? '').endsWith('-7');
    if (held) setTimeout(() => res.end('ok'), 400);
    else res.end('ok');
  });
});

afterAll(async () => {
  for (const res of parked) res.end('ok');
  await upstream?.close();
});

const sql = (dir: string, db: string, q: string) =>
  execFileSync('sqlite3', [join(dir, db), q], { encoding: 'utf8' }).trim();

/** Plain-HTTP requests through the proxy from a few keep-alive clients until stopped (or one request, `once`). */
function load(proxyUrl: string, tag: string, clients = CLIENTS, once = false): { stop(): Promise<void> } {
  const proxy = new URL(proxyUrl);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let stopped = false;
  const one = (path: string) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: proxy.hostname,
          port: Number(proxy.port),
          path: `http://plain.test${path}`,
          headers: { host: 'plain.test', 'proxy-authorization': auth },
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve()); // the daemon is killed mid-request: expected
      req.end();
    });
  const running = Array.from({ length: clients }, async (_, c) => {
    if (once) return one(`/${tag}`);
    for (let i = 0; !stopped; i++) await one(`/${tag}-${c}-${i}`);
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(running);
      agent.destroy();
    },
  };
}

describe.each(['strict', 'batched'] as const)('kill -9 under load, %s durability', (mode) => {
  let dir: string;
  let daemon: DaemonProcess;
  const args = [
    '--traffic-log-durability',
    mode,
    '--unsafe-allow-private-egress',
    '127.0.0.0/8',
    '--connect-to',
    '',
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `tf-crash-${mode}-`));
    args[5] = `plain.test:80:127.0.0.1:${upstream.port}`;
    daemon = await startDaemonProcess({ dataDir: dir, args });
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no row open after the restart, and the two counts agree', async () => {
    const cli = cliFor(daemon);
    const agent = JSON.parse((await cli(['agent', 'add', 'crash-bot', '--json'])).stdout) as { key: string };
    const proxyUrl = `http://crash-bot:${agent.key}@${new URL(daemon.gatewayUrl).host}`;
    expect(
      (await cli(['connector', 'add', 'generic', '--name', 'plain', '--domains', 'plain.test'])).code,
    ).toBe(0);
    expect(
      (
        await cli([
          'permissions',
          'set',
          '--agent',
          'crash-bot',
          '--connector',
          'plain',
          '--action',
          '*',
          '--decision',
          'allow',
        ])
      ).code,
    ).toBe(0);
    await eventually(
      () => proxyStatus(proxyUrl, `http://plain.test/${mode}-ready`),
      (s) => s === 200,
      'first allowed request',
    );

    seen.clear();
    // The load's clients start together and hold by request index, so they move in step: a kill can
    // land while every client is between fast requests whose arrival rows (batched durability) are not
    // written yet, leaving nothing open (seen once in CI). The long request is open for certain.
    const long = load(proxyUrl, `${mode}-long`, 1, true);
    await eventually(
      async () =>
        Number(
          sql(
            dir,
            'gateway.db',
            `SELECT COUNT(*) FROM traffic_log WHERE path = '/${mode}-long' AND completed_at IS NULL`,
          ),
        ),
      (n) => n === 1,
      'the long request open in the traffic log',
      20_000,
    );
    const running = load(proxyUrl, mode);
    await eventually(
      async () => seen.size,
      (n) => n >= KILL_AFTER,
      'load reaching the upstream',
      30_000,
    );
    process.kill(daemon.pid, 'SIGKILL');
    expect((await daemon.stop()).signal).toBe('SIGKILL'); // waits for the exit
    await running.stop();
    await long.stop();
    const sawBeforeRestart = new Set(seen);

    // The killed run's rows, as it left them: some are still open.
    const openBefore = Number(
      sql(dir, 'gateway.db', 'SELECT COUNT(*) FROM traffic_log WHERE completed_at IS NULL'),
    );
    daemon = await startDaemonProcess({ dataDir: dir, args });

    // On start, those rows are closed as interrupted and their events shipped.
    await eventually(
      async () => Number(sql(dir, 'gateway.db', 'SELECT COUNT(*) FROM outbox')),
      (n) => n === 0,
      'the outbox shipped after the restart',
      20_000,
    );
    expect(
      Number(sql(dir, 'gateway.db', 'SELECT COUNT(*) FROM traffic_log WHERE completed_at IS NULL')),
    ).toBe(0);
    const interrupted = Number(
      sql(dir, 'gateway.db', "SELECT COUNT(*) FROM traffic_log WHERE error = 'interrupted'"),
    );
    expect(interrupted).toBe(openBefore);
    // Held requests were in flight at the kill: there was something to recover.
    expect(interrupted).toBeGreaterThan(0);
    const rows = Number(sql(dir, 'gateway.db', 'SELECT COUNT(*) FROM traffic_log'));
    await eventually(
      async () =>
        Number(sql(dir, 'local.db', "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%'")),
      (n) => n === rows,
      'the control plane count equals the gateway count',
      20_000,
    );
    expect(
      Number(
        sql(dir, 'local.db', "SELECT COUNT(*) FROM audit_events WHERE event_type = 'action.interrupted'"),
      ),
    ).toBe(interrupted);

    const logged = new Set(
      sql(dir, 'gateway.db', `SELECT path FROM traffic_log WHERE path LIKE '/${mode}-%'`).split('\n'),
    );
    const unlogged = [...sawBeforeRestart].filter((p) => !logged.has(p));
    if (mode === 'strict') expect(unlogged).toEqual([]);
    // Batched: what reached the upstream in the last window before the kill may have no row (the
    // documented loss window); the counts still agree, since such a request has no event either.
  }, 120_000);
});
