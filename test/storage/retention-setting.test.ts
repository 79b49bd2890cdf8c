// The traffic-log retention set on the control plane (/v1/settings/retention, the dashboard's
// settings page) reaches the gateway with its configuration snapshot and changes what the daemon's
// own sweep removes: back-dated rows past the new retention go, younger ones stay. A gateway whose
// retention is set by its own flag keeps it. Both daemons run role all, as `tameflare serve` does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type FlagValues, resolveConfig } from '../../src/config/resolve-config.js';
import { createContext, type DaemonContext } from '../../src/daemon/create-context.js';
import type { RetentionSettings } from '../../src/wire/retention.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const open: { ctx: DaemonContext; dir: string }[] = [];

afterAll(async () => {
  for (const { ctx, dir } of open) {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A daemon (role all) whose gateway.db holds 100 rows from 8 days ago and 10 from 3 days ago. */
async function daemonWithOldTraffic(flags: FlagValues, agentPortStart: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-retention-setting-'));
  const { config, sources } = resolveConfig({
    flags: { dataDir, port: '0', gatewayPort: '0', agentPortStart, ...flags },
    env: {},
  });
  const ctx = await createContext(config, {
    logger: pino({ level: 'silent' }),
    sources,
    adminPassword: 'retention-setting-password-1',
    storage: { firstSweepMs: 100, sweepIntervalMs: 3_600_000 },
  });
  open.push({ ctx, dir: dataDir });
  const gw = new Database(ctx.paths.gatewayDb);
  const insert = gw.prepare(
    `INSERT INTO traffic_log (request_id, method, host, path, decision, created_at, completed_at)
     VALUES (?, 'GET', 'old.test', '/', 'allow', ?, ?)`,
  );
  gw.transaction(() => {
    for (let i = 0; i < 100; i++) insert.run(`old-${i}`, ago(8), ago(8));
    for (let i = 0; i < 10; i++) insert.run(`young-${i}`, ago(3), ago(3));
  })();
  gw.close();
  const urls = await ctx.start();
  const token = readFileSync(ctx.paths.cliToken, 'utf8').trim();
  const call = async (method: string, body?: unknown, bearer = token) => {
    const res = await fetch(`${urls.controlUrl}/v1/settings/retention`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as RetentionSettings & { code?: string } };
  };
  const count = (prefix: string) => {
    const db = new Database(ctx.paths.gatewayDb, { readonly: true });
    try {
      return db
        .prepare('SELECT COUNT(*) FROM traffic_log WHERE request_id LIKE ?')
        .pluck()
        .get(`${prefix}-%`);
    } finally {
      db.close();
    }
  };
  return { ctx, urls, token, call, count };
}

/** Polls until the gateway's report matches (it reports after each sweep the setting causes). */
async function reported(
  call: (m: string) => Promise<{ body: RetentionSettings }>,
  ok: (g: RetentionSettings['traffic']['gateways'][number]['retention']) => boolean,
) {
  for (let i = 0; i < 200; i++) {
    const { body } = await call('GET');
    const g = body.traffic.gateways[0]?.retention ?? null;
    if (ok(g)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the gateway never reported the expected retention');
}

describe('traffic retention set on the control plane', () => {
  it('replaces the default on a gateway that sets none, and its sweep removes what is now too old', async () => {
    const d = await daemonWithOldTraffic({}, '31400');
    // The default (30 days) keeps all of it; the first sweep has run and said so.
    const before = await reported(d.call, (g) => g?.last_sweep != null);
    expect(before.traffic).toMatchObject({ days: null, default_days: 30 });
    expect(before.traffic.gateways[0]).toMatchObject({ name: 'default', status: 'connected' });
    expect(before.traffic.gateways[0]!.retention).toMatchObject({ days: 30, source: 'default' });
    expect(before.traffic.gateways[0]!.retention!.last_sweep).toMatchObject({ deleted: 0, error: null });
    expect(before.traffic.gateways[0]!.retention!.database_bytes).toBeGreaterThan(0);
    expect(d.count('old')).toBe(100);

    const set = await d.call('PUT', { traffic_days: 5 });
    expect(set.status).toBe(200);
    expect(set.body.traffic.days).toBe(5);
    const after = await reported(
      d.call,
      (g) => g?.source === 'control_plane' && g.last_sweep?.deleted === 100,
    );
    expect(after.traffic.gateways[0]!.retention).toMatchObject({ days: 5, source: 'control_plane' });
    expect(d.count('old')).toBe(0);
    expect(d.count('young')).toBe(10);
    // The gateway's own /health says the same.
    const health = (await (await fetch(`${d.urls.gatewayUrl}/health`)).json()) as {
      storage: { retention: { days: number; source: string } };
    };
    expect(health.storage.retention).toMatchObject({ days: 5, source: 'control_plane' });

    // Cleared: back to the default, nothing more goes.
    expect((await d.call('PUT', { traffic_days: null })).body.traffic.days).toBeNull();
    await reported(d.call, (g) => g?.source === 'default' && g.days === 30);
    expect(d.count('young')).toBe(10);

    // Recorded in the audit log.
    const events = await fetch(`${d.urls.controlUrl}/v1/audit?type=settings.*`, {
      headers: { authorization: `Bearer ${d.token}` },
    });
    const changes = ((await events.json()) as { events: { details: unknown }[] }).events.map(
      (e) => e.details,
    );
    expect(changes).toEqual([
      { from: 5, to: null },
      { from: null, to: 5 },
    ]);
  });

  it('leaves a gateway whose own flag sets the retention alone, and refuses bad values and viewers', async () => {
    const d = await daemonWithOldTraffic({ trafficRetentionDays: '30' }, '31500');
    await reported(d.call, (g) => g?.last_sweep != null);
    expect((await d.call('PUT', { traffic_days: 5 })).status).toBe(200);
    // The snapshot carrying 5 days has reached the gateway: it reports running the version held for it.
    for (let i = 0; ; i++) {
      const r = await fetch(`${d.urls.controlUrl}/v1/gateways`, {
        headers: { authorization: `Bearer ${d.token}` },
      });
      const [g] = (
        (await r.json()) as { gateways: { config_version: number; applied_config_version: number }[] }
      ).gateways;
      if (g && g.applied_config_version === g.config_version) break;
      if (i > 200) throw new Error('the gateway never applied the configuration with the retention');
      await new Promise((res) => setTimeout(res, 50));
    }
    const fixed = await reported(d.call, (g) => g?.source === 'daemon');
    expect(fixed.traffic.days).toBe(5);
    expect(fixed.traffic.gateways[0]!.retention).toMatchObject({ days: 30, source: 'daemon' });
    await d.ctx.storage.sweepNow();
    expect(d.count('old')).toBe(100);

    for (const bad of [
      { traffic_days: -1 },
      { traffic_days: 1.5 },
      { traffic_days: 40_000 },
      {},
      { days: 7 },
    ]) {
      const r = await d.call('PUT', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.code).toBe('validation_failed');
    }
    const created = await fetch(`${d.urls.controlUrl}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', role: 'viewer' }),
    });
    const viewer = ((await created.json()) as { token: string }).token;
    expect((await d.call('GET', undefined, viewer)).status).toBe(200);
    const refused = await d.call('PUT', { traffic_days: 1 }, viewer);
    expect(refused.status).toBe(403);
  });
});
