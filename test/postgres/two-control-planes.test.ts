// Two control-plane processes on one PostgreSQL database with one gateway (issue 18 item 2, the
// first part): configuration written concurrently through both (agents whose dedicated ports both
// pick from the same free range, permissions) while the gateway's events arrive at one of them; in the
// end every write is there once, the audit chain verifies through either process, and the seed's
// count check holds (gateway traffic_log rows = action events in the shared audit log).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliFor, proxyStatus } from '../cli/cli-harness.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres-schema.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

const SERVICE_TOKEN = 'two-cp-service-token-0123456789abcdef';
let schema: TestSchema;
let dirs: { a: string; b: string };
let a: DaemonProcess;
let b: DaemonProcess;
let gateway: DaemonProcess;

/** Retries an assertion until it passes or the deadline is over (then throws its last failure). */
async function until(assertion: () => unknown, timeoutMs = 20_000): Promise<void> {
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

async function query<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const controlPlane = (dataDir: string) =>
  startDaemonProcess({
    dataDir,
    args: ['--role', 'control'],
    env: { TAMEFLARE_DATABASE_URL: schema.url, GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN },
  });

beforeAll(async () => {
  if (!inject('postgresUrl')) return;
  schema = await createTestSchema(inject('postgresUrl'));
  dirs = { a: mkdtempSync(join(tmpdir(), 'tf-cpa-')), b: mkdtempSync(join(tmpdir(), 'tf-cpb-')) };
  // Started together on an empty database: one migrates and one creates the first owner, the other
  // waits for each (advisory locks), and both come up. Each keeps its own CLI token and signing key
  // here; in production the signing key is shared (docs/postgresql.md).
  [a, b] = await Promise.all([controlPlane(dirs.a), controlPlane(dirs.b)]);
  gateway = await startDaemonProcess({
    args: ['--role', 'gateway'],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, CONTROL_PLANE_URL: a.controlUrl },
  });
}, 90_000);

afterAll(async () => {
  // Stopped together: each may take its shutdown grace on a loaded machine.
  await Promise.all([gateway?.stop(), b?.stop(), a?.stop()]);
  await schema?.drop();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('two control planes on one database', () => {
  it('take concurrent writes through both and keep one audit chain that matches the traffic log', async () => {
    const viaA = cliFor(a);
    const viaB = cliFor(b);
    const bot = JSON.parse((await viaA(['agent', 'add', 'shared-bot', '--json'])).stdout) as { key: string };
    expect(
      (await viaA(['connector', 'add', 'generic', '--name', 'plain', '--domains', 'plain.test'])).code,
    ).toBe(0);
    const proxyUrl = `http://shared-bot:${bot.key}@${new URL(gateway.gatewayUrl).host}`;
    // The gateway follows A; the agent reaches it through A's stream. No connector covers the host,
    // so each request is refused (connector_not_found) and still logged and shipped as an event.
    await until(async () => expect(await proxyStatus(proxyUrl, 'http://nowhere.test/ready')).toBe(403));

    const api = (cp: DaemonProcess, dir: string) => async (method: string, path: string, body?: unknown) => {
      const token = readFileSync(join(dir, 'cli.token'), 'utf8').trim();
      const res = await fetch(`${cp.controlUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const apiA = api(a, dirs.a);
    const apiB = api(b, dirs.b);
    const writes = [
      ...Array.from({ length: 12 }, (_, i) => apiA('POST', '/v1/agents', { name: `a-${i}` })),
      ...Array.from({ length: 12 }, (_, i) => apiB('POST', '/v1/agents', { name: `b-${i}` })),
      ...Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? apiA : apiB)('POST', '/v1/permissions', {
          agent: 'shared-bot',
          connector: 'plain',
          action: `http.p${i}.*`,
          decision: 'allow',
        }),
      ),
    ];
    const traffic = Array.from({ length: 30 }, (_, i) => proxyStatus(proxyUrl, `http://nowhere.test/r${i}`));
    const results = await Promise.all(writes);
    for (const r of results) expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
    for (const status of await Promise.all(traffic)) expect(status).toBe(403);

    // Every agent once, each on a dedicated port of its own (both processes pick from one range).
    const agents = await query<{ name: string; port: number | null }>('select name, port from agents');
    expect(agents).toHaveLength(25);
    const ports = agents.filter((r) => r.name !== 'shared-bot').map((r) => r.port);
    expect(ports.every((p) => p !== null)).toBe(true);
    expect(new Set(ports).size).toBe(24);
    expect(await query("select id from users where role = 'owner'")).toHaveLength(1);
    expect(await query("select id from permissions where agent = 'shared-bot'")).toHaveLength(8);

    // The seed's count check: gateway traffic rows = action events recorded (once each).
    const trafficRows = () =>
      Number(
        execFileSync('sqlite3', [join(gateway.dataDir, 'gateway.db'), 'select count(*) from traffic_log'], {
          encoding: 'utf8',
        }).trim(),
      );
    await until(async () => {
      const [row] = await query<{ n: number }>(
        "select count(*)::int as n from audit_events where event_type like 'action.%'",
      );
      expect(row!.n).toBe(trafficRows());
    });
    expect(trafficRows()).toBeGreaterThanOrEqual(31);

    // One chain, whichever process walks it.
    for (const cli of [viaA, viaB]) {
      const verify = await cli(['audit', 'verify', '--json']);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    }
    const [events] = await query<{ n: number }>('select count(*)::int as n from audit_events');
    const verified = JSON.parse((await viaB(['audit', 'verify', '--json'])).stdout) as { checked: number };
    expect(verified.checked).toBe(events!.n);
  });
});
