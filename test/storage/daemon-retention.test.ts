// Retention as the daemon runs it: no call from the test, only the schedule. Back-dated traffic rows
// and audit events are in the files before the daemon starts; its first sweep removes exactly them,
// `/health` reports the sweep, and the audit chain verifies through the API `tameflare audit verify` uses.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvents } from '../../src/audit/ledger.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createContext, type DaemonContext } from '../../src/daemon/create-context.js';
import type { LocalDatabase } from '../../src/storage/local-schema.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
let dataDir: string;
let ctx: DaemonContext;
let urls: { controlUrl: string | undefined; gatewayUrl: string | undefined };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tf-daemon-retention-'));
  const { config } = resolveConfig({
    flags: { dataDir, port: '0', gatewayPort: '0', agentPortStart: '31300', trafficRetentionDays: '7' },
    env: { AUDIT_RETENTION_DAYS: '30' },
  });
  ctx = await createContext(config, {
    logger: pino({ level: 'silent' }),
    adminPassword: 'daemon-retention-password-123',
    storage: { firstSweepMs: 200, sweepIntervalMs: 3_600_000 },
  });
  // Built (files migrated) but not started: the old data goes in as an older run would have left it.
  const gw = new Database(ctx.paths.gatewayDb);
  const insert = gw.prepare(
    `INSERT INTO traffic_log (request_id, method, host, path, decision, created_at, completed_at)
     VALUES (?, 'GET', 'old.test', '/', 'allow', ?, ?)`,
  );
  gw.transaction(() => {
    for (let i = 0; i < 400; i++) insert.run(`old-${i}`, ago(8), ago(8));
    for (let i = 0; i < 10; i++) insert.run(`kept-${i}`, ago(6), ago(6));
  })();
  gw.close();
  const local = new Kysely<LocalDatabase>({
    dialect: new SqliteDialect({ database: new Database(ctx.paths.localDb) }),
  });
  await appendAuditEvents(
    local,
    Array.from({ length: 300 }, () => ({ type: 'action.allowed', actor: 'agent:old', createdAt: ago(40) })),
  );
  await local.destroy();
  urls = await ctx.start();
});
afterAll(async () => {
  await ctx?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type Sweep = { deleted: number; error: string | null } | null;
type Health = { storage: { retention: { days: number; last_sweep: Sweep } } };
async function lastSweep(url: string | undefined): Promise<Sweep> {
  for (let i = 0; i < 300; i++) {
    const h = (await (await fetch(`${url}/health`)).json()) as Health;
    if (h.storage.retention.last_sweep) return h.storage.retention.last_sweep;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no sweep reported');
}

describe('retention in the running daemon', () => {
  it('removes the traffic rows and audit events past retention on its own, and says so in /health', async () => {
    expect(await lastSweep(urls.gatewayUrl)).toMatchObject({ deleted: 400, error: null });
    expect(await lastSweep(urls.controlUrl)).toMatchObject({ deleted: 300, error: null });
    const gw = new Database(ctx.paths.gatewayDb, { readonly: true });
    expect(gw.prepare("SELECT COUNT(*) FROM traffic_log WHERE request_id LIKE 'old-%'").pluck().get()).toBe(
      0,
    );
    expect(gw.prepare("SELECT COUNT(*) FROM traffic_log WHERE request_id LIKE 'kept-%'").pluck().get()).toBe(
      10,
    );
    gw.close();
    const token = readFileSync(ctx.paths.cliToken, 'utf8').trim();
    const verify = await fetch(`${urls.controlUrl}/v1/audit/verify`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await verify.json()).toMatchObject({ ok: true, first_bad: null, anchor: { pruned_total: 300 } });
  });
});
