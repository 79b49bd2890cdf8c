// The disk watch on a real daemon (both roles in one process): /health and /metrics report database
// sizes with their WAL, free space of the data directory and row counts; a threshold crossed turns
// health to "warning" naming the seed's action, is logged once per crossing (and once when it
// clears), and `tameflare status` shows it. Thresholds are injected: no 500 MB files here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createContext, type DaemonContext } from '../../src/daemon/create-context.js';
import type { DiskThresholds, StorageReport } from '../../src/daemon/upkeep/disk-watch.js';
import { runTameflare } from '../helpers/cli-process.js';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
// Generous: nothing here is near them until the test lowers one.
const thresholds: Partial<DiskThresholds> = { localDbBytes: 1e12, gatewayDbBytes: 1e12, minFreeRatio: 0 };
let dataDir: string;
let ctx: DaemonContext;
let controlUrl: string;
let gatewayUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tf-diskwatch-'));
  const { config } = resolveConfig({
    flags: { dataDir, port: '0', gatewayPort: '0', agentPortStart: '31200' },
    env: {},
  });
  ctx = await createContext(config, {
    logger: pino({ level: 'info' }, sink),
    adminPassword: 'disk-watch-password-123',
    storage: { thresholds, checkIntervalMs: 3_600_000, firstSweepMs: 3_600_000 },
  });
  const urls = await ctx.start();
  controlUrl = urls.controlUrl!;
  gatewayUrl = urls.gatewayUrl!;
});
afterAll(async () => {
  await ctx?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type Health = {
  status: string;
  uptime_seconds: number;
  traffic_log_dropped?: number;
  storage: StorageReport & { retention: unknown };
};
const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as Health;
const storageLogs = (check: string) => lines.filter((l) => l.check === check && l.component === 'storage');

describe('disk watch', () => {
  it('reports sizes with WAL, free space and rows on both roles, keeping the seed shape', async () => {
    ctx.storage.checkNow();
    const gw = await health(gatewayUrl);
    expect(gw).toMatchObject({ status: 'ok', agents: 0, connectors: 0 });
    expect(typeof gw.uptime_seconds).toBe('number');
    const gdb = gw.storage.databases['gateway.db']!;
    expect(gdb.bytes).toBeGreaterThan(0);
    expect(gdb.bytes).toBeGreaterThanOrEqual(gdb.wal_bytes);
    expect(gdb.rows).toEqual({ traffic_log: expect.any(Number), outbox: expect.any(Number) });
    expect(gdb.auto_vacuum).toBe('incremental');
    expect(gw.storage.data_dir.total_bytes).toBeGreaterThan(gw.storage.data_dir.free_bytes);
    expect(gw.storage.retention).toMatchObject({ days: 30 });
    expect(gw.storage.databases['local.db']).toBeUndefined();

    const cp = await health(controlUrl);
    expect(cp.status).toBe('ok');
    expect(cp.storage.databases['local.db']!.rows.audit_events).toBeGreaterThan(0); // bootstrap's events
    expect(cp.storage.retention).toMatchObject({ days: 90 });

    const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tameflare_database_bytes\{database="gateway.db"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^tameflare_database_bytes\{database="local.db"\} [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^tameflare_database_rows\{database="local.db",table="audit_events"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(/^tameflare_data_dir_free_bytes [1-9]\d*$/m);
    expect(metrics).toMatch(/^tameflare_storage_warning\{check="free_space"\} 0$/m);
    expect(metrics).toMatch(/^tameflare_gateway_traffic_log_dropped 0$/m);
    expect(gw.traffic_log_dropped).toBe(0);
  });

  it('turns health to a warning naming the seed action, logs once per crossing, and status shows it', async () => {
    thresholds.localDbBytes = 1024; // local.db is larger than 1 kB
    ctx.storage.checkNow();
    ctx.storage.checkNow(); // still over: not logged again
    const cp = await health(controlUrl);
    expect(cp.status).toBe('warning');
    expect(cp.storage.warnings).toEqual([
      expect.objectContaining({ check: 'local.db', action: 'Run cleanup, reduce AUDIT_RETENTION_DAYS' }),
    ]);
    // The gateway's own database is fine: its health stays ok.
    expect((await health(gatewayUrl)).status).toBe('ok');
    expect(storageLogs('local.db').filter((l) => l.level === 40)).toHaveLength(1);
    const metrics = await (await fetch(`${controlUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tameflare_storage_warning\{check="local.db"\} 1$/m);

    thresholds.minFreeRatio = 1.01; // no file system is more than 100 % free
    ctx.storage.checkNow();
    const gw = await health(gatewayUrl);
    expect(gw.status).toBe('warning');
    expect(gw.storage.warnings).toEqual([
      expect.objectContaining({
        check: 'free_space',
        action: 'Immediate cleanup. See Failure Modes for disk-full behavior.',
      }),
    ]);

    const run = await runTameflare(['status', '--url', controlUrl, '--gateway-url', gatewayUrl], {
      env: { TAMEFLARE_DATA_DIR: dataDir },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/control plane .* warning /);
    expect(run.stdout).toMatch(
      /WARNING local\.db is .* \(over 1\.0 kB\): Run cleanup, reduce AUDIT_RETENTION_DAYS/,
    );
    expect(run.stdout).toMatch(/WARNING the data directory's file system has .*: Immediate cleanup/);
    expect(run.stdout).toMatch(
      /storage gateway\.db .* \(WAL .*\), \d+ traffic_log, \d+ outbox; free .*; retention 30 d/,
    );

    thresholds.localDbBytes = 1e12;
    thresholds.minFreeRatio = 0;
    ctx.storage.checkNow();
    expect((await health(controlUrl)).status).toBe('ok');
    expect((await health(gatewayUrl)).status).toBe('ok');
    expect(storageLogs('local.db').map((l) => l.level)).toEqual([40, 30]); // crossed once, cleared once
    expect(storageLogs('free_space').map((l) => l.level)).toEqual([40, 30]);
  });
});
