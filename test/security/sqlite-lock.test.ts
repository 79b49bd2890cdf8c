// Issue 9 item 6: another process holding the write lock on gateway.db must not freeze the gateway.
// A second process (node + better-sqlite3, as `sqlite3` would) holds `BEGIN EXCLUSIVE` while requests
// flow through the spawned daemon: requests are answered while the lock is still held (ordering, not
// timing), /health answers and says the database is degraded, a kill switch or a permission change
// is enforced on the very next request, and once the lock is released every row and every
// configuration change is in gateway.db.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, eventually, proxyStatus } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';

const TOKEN = 'sqlite-lock-service-token-0123456789';
let upstream: RunningServer<import('node:http').Server>;
const seen: string[] = [];
let daemon: DaemonProcess;
let proxyUrl: string;
let sent = 0;

/** One request through the gateway; every call is one traffic row. */
async function request(path: string): Promise<number> {
  sent++;
  return proxyStatus(proxyUrl, `http://plain.test${path}`);
}

const sql = (q: string) =>
  execFileSync('sqlite3', [join(daemon.dataDir, 'gateway.db'), q], { encoding: 'utf8' }).trim();

async function health(): Promise<Record<string, unknown>> {
  return (await (await fetch(`${daemon.gatewayUrl}/health`)).json()) as Record<string, unknown>;
}

function internal(method: string, path: string, body?: unknown) {
  return fetch(`${daemon.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A second process that takes the write lock and keeps it until released. */
async function holdWriteLock(file: string): Promise<{ release(): Promise<void>; child: ChildProcess }> {
  const script = `
    const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
    const db = new Database(${JSON.stringify(file)});
    db.pragma('busy_timeout = 10000');
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [first] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(first.toString()).toBe('locked\n');
  return {
    child,
    async release() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.write('release\n');
      await exited;
    },
  };
}

beforeAll(async () => {
  upstream = await startHttpServer((req, res) => {
    seen.push(req.url ?? '');
    res.end('upstream ok');
  });
  daemon = await startDaemonProcess({
    args: [
      '--traffic-log-durability',
      'batched',
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.port}`,
    ],
    env: { GATEWAY_SERVICE_TOKEN: TOKEN },
  });
  const cli = cliFor(daemon);
  const agent = JSON.parse((await cli(['agent', 'add', 'lock-bot', '--json'])).stdout) as { key: string };
  proxyUrl = `http://lock-bot:${agent.key}@${new URL(daemon.gatewayUrl).host}`;
  expect(
    (await cli(['connector', 'add', 'generic', '--name', 'plain', '--domains', 'plain.test'])).code,
  ).toBe(0);
  expect(
    (
      await cli([
        'permissions',
        'set',
        '--agent',
        'lock-bot',
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
    () => request('/ready'),
    (s) => s === 200,
    'first allowed request',
  );
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await upstream?.close();
});

describe('a write lock held on gateway.db by another process', () => {
  it('never freezes the gateway, changes apply at once, and nothing is lost', async () => {
    const cli = cliFor(daemon);
    const lock = await holdWriteLock(join(daemon.dataDir, 'gateway.db'));
    let released = false;
    try {
      // Requests are answered while the lock is held (it is released only after all of this).
      for (let i = 0; i < 10; i++) expect(await request(`/during-${i}`)).toBe(200);
      // /health answers throughout and reports the database as degraded once a write was refused.
      const degraded = await eventually(health, (h) => h.db === 'degraded', '/health db degraded');
      expect(degraded).toMatchObject({ status: 'degraded', db: 'degraded' });
      expect(String(degraded.db_error)).toMatch(/locked|busy/i);

      // The gateway's own kill switch: in force for the very next request.
      expect((await internal('POST', '/internal/kill-switch', { scope: 'agent:lock-bot' })).status).toBe(200);
      expect(await request('/after-local-kill')).toBe(403);
      expect((await internal('DELETE', '/internal/kill-switch?scope=agent:lock-bot')).status).toBe(200);
      expect(await request('/after-local-release')).toBe(200);
      // A local entry for another scope stays, to be found in gateway.db after the lock.
      expect((await internal('POST', '/internal/kill-switch', { scope: 'connector:elsewhere' })).status).toBe(
        200,
      );

      // A change made on the control plane: in force as soon as the gateway has the new snapshot.
      const before = Number((await health()).snapshot_version);
      expect(
        (
          await cli([
            'permissions',
            'set',
            '--agent',
            'lock-bot',
            '--connector',
            'plain',
            '--action',
            '*',
            '--decision',
            'deny',
          ])
        ).code,
      ).toBe(0);
      const denied = await eventually(
        health,
        (h) => Number(h.snapshot_version) > before,
        'the gateway applies the new snapshot',
      );
      expect(await request('/after-deny')).toBe(403);
      expect((await cli(['kill-switch', '--activate', '--scope', 'agent:lock-bot'])).code).toBe(0);
      await eventually(
        health,
        (h) => Number(h.snapshot_version) > Number(denied.snapshot_version),
        'the gateway applies the kill switch',
      );
      expect(await request('/after-kill')).toBe(403);

      // Still locked: nothing above waited for the lock.
      expect(lock.child.exitCode).toBeNull();
      expect((await health()).db).toBe('degraded');
    } finally {
      await lock.release();
      released = true;
    }
    expect(released).toBe(true);

    // Every row arrives, each complete; the configuration changes are persisted.
    await eventually(
      async () => Number(sql('SELECT COUNT(*) FROM traffic_log')),
      (n) => n === sent,
      'every traffic row written',
      20_000,
    );
    expect(Number(sql('SELECT COUNT(*) FROM traffic_log WHERE completed_at IS NULL'))).toBe(0);
    expect(sql("SELECT COUNT(*) FROM traffic_log WHERE path LIKE '/after-%' AND decision = 'deny'")).toBe(
      '3',
    );
    expect(sql('SELECT scope FROM local_kill_switch')).toBe('connector:elsewhere');
    const applied = Number((await health()).snapshot_version);
    await eventually(
      async () => Number(sql('SELECT version FROM config_cache')),
      (v) => v === applied,
      'the last snapshot cached',
    );
    await eventually(health, (h) => h.db === 'ok' && h.status === 'ok', '/health ok again');
    // Requests that reached the upstream were the allowed ones, each of them recorded.
    expect(seen.filter((p) => p.startsWith('/during-'))).toHaveLength(10);
    // And the control plane has an action event for every row (acknowledgements were held too).
    await eventually(
      async () => Number(sql('SELECT COUNT(*) FROM outbox')),
      (n) => n === 0,
      'the outbox shipped and acknowledged',
      20_000,
    );
    const actions = execFileSync(
      'sqlite3',
      [
        join(daemon.dataDir, 'local.db'),
        "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%'",
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(Number(actions)).toBe(sent);
  }, 90_000);
});
