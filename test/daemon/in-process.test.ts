import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createContext } from '../../src/daemon/create-context.js';
import { startDaemon } from '../../src/daemon/start-daemon.js';

/** Both roles in this process, on port 0, over a fresh data directory. */
async function startInProcess(prefix: string, agentPortStart: string) {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const { config, sources } = resolveConfig({
    flags: { dataDir, port: '0', gatewayPort: '0', agentPortStart },
    env: {},
  });
  const daemon = await startDaemon({
    config,
    sources,
    logger: pino({ level: 'silent' }),
    version: 'test',
    adminPassword: 'in-process-password-123',
  });
  return { dataDir, daemon };
}

describe('startDaemon in process', () => {
  it('builds both roles on port 0, links them, and closes in reverse order', async () => {
    const { dataDir, daemon } = await startInProcess('tf-inproc-', '31000');
    try {
      expect(daemon.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(daemon.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(daemon.bootstrap?.owner?.email).toBe('admin@localhost');
      const gw = (await (await fetch(`${daemon.gatewayUrl}/health`)).json()) as Record<string, unknown>;
      expect(gw).toMatchObject({ status: 'ok', agents: 0, connectors: 0 });
      // The gateway follows the in-process control plane through the same link as when split.
      for (let i = 0; i < 50 && !daemon.sync?.state().connected; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(daemon.sync?.state().connected).toBe(true);
      expect(daemon.sync?.state().lastSnapshotVersion).toBeGreaterThan(0);
    } finally {
      await daemon.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(fetch(`${daemon.controlUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${daemon.gatewayUrl}/health`)).rejects.toThrow();
  });
});

describe('the link in one process (--role=all)', () => {
  it('hands the outbox to the control plane by a function call: recorded once and in order, no HTTP request', async () => {
    const { dataDir, daemon } = await startInProcess('tf-inproc-link-', '31200');
    try {
      // Every HTTP request the control plane receives, whatever its route.
      const seen: string[] = [];
      daemon.control?.app.server.on('request', (req: { url?: string }) => seen.push(req.url ?? ''));
      const gw = daemon.gateway;
      if (!gw) throw new Error('no gateway');
      // Three outbox events (the kill switch, activated on the gateway itself, writes one each time).
      gw.activateKillSwitch('all', 'first');
      gw.deactivateKillSwitch('all');
      gw.activateKillSwitch('all', 'second');
      gw.deactivateKillSwitch('all');
      gw.activateKillSwitch('all', 'third');
      const db = new Database(join(dataDir, 'local.db'), { readonly: true });
      const reasons = () =>
        (
          db
            .prepare(
              "SELECT details FROM audit_events WHERE event_type = 'kill_switch.activated' ORDER BY id",
            )
            .all() as { details: string }[]
        ).map((r) => (JSON.parse(r.details) as { reason?: string }).reason);
      try {
        for (let i = 0; i < 100 && reasons().length < 3; i++) await new Promise((r) => setTimeout(r, 50));
        expect(reasons()).toEqual(['first', 'second', 'third']);
        // Acknowledged: the gateway's outbox is empty and nothing is shipped twice.
        await daemon.sync?.flush();
        expect(reasons()).toEqual(['first', 'second', 'third']);
        expect(daemon.sync?.state().eventsShipped).toBeGreaterThanOrEqual(3);
      } finally {
        db.close();
      }
      expect(seen.filter((url) => url.startsWith('/internal/gateway/events'))).toEqual([]);
    } finally {
      await daemon.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('createContext', () => {
  it('builds every service without binding; start() binds and reads port 0 back; close() releases', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tf-context-'));
    const { config } = resolveConfig({
      flags: { dataDir, port: '0', gatewayPort: '0', agentPortStart: '31100' },
      env: {},
    });
    let t = Date.parse('2030-01-02T03:04:05Z');
    const clock = () => new Date(t);
    const context = await createContext(config, {
      logger: pino({ level: 'silent' }),
      now: clock,
      adminPassword: 'context-password-123',
    });
    try {
      expect(context.gateway?.address).toBeUndefined();
      expect(context.control?.address).toBeUndefined();
      expect(context.sync).toBeUndefined();
      expect(context.paths.dir).toBe(dataDir);
      const { controlUrl, gatewayUrl } = await context.start();
      expect(gatewayUrl).toBe(`http://127.0.0.1:${context.gateway?.address?.port}`);
      expect(controlUrl).toBe(`http://127.0.0.1:${context.control?.address?.port}`);
      expect(context.gateway?.address?.port).not.toBe(0);
      expect(context.bootstrap?.owner?.email).toBe('admin@localhost');
      // The clock given to the context is the one the services read.
      t += 3_600_000;
      const health = (await (await fetch(`${controlUrl}/health`)).json()) as Record<string, unknown>;
      expect(health['uptime_seconds']).toBe(3600);
    } finally {
      await context.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(fetch(`http://127.0.0.1:${context.gateway?.address?.port}/health`)).rejects.toThrow();
  });
});
