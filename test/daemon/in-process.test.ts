import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { startDaemon } from '../../src/daemon/start-daemon.js';

describe('startDaemon in process', () => {
  it('builds both roles on port 0, links them, and closes in reverse order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tf-inproc-'));
    const { config, sources } = resolveConfig({
      flags: { dataDir, port: '0', gatewayPort: '0', agentPortStart: '31000' },
      env: {},
    });
    const daemon = await startDaemon({
      config,
      sources,
      logger: pino({ level: 'silent' }),
      version: 'test',
      adminPassword: 'in-process-password-123',
    });
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
