// Automatic retention of the traffic log on a live gateway: back-dated rows past the retention are
// removed, in several chunks run on the writer thread, while requests keep flowing and being
// logged; rows inside the retention and every new row stay; the freed pages go back to the file
// system (incremental vacuum), without a full VACUUM.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createStorageUpkeep } from '../../src/daemon/upkeep/storage-upkeep.js';
import { databaseSize } from '../../src/storage/prune-traffic-log.js';
import { type GatewayHarness, startGatewayHarness } from '../helpers/gateway-harness.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(async () => {
  await h?.close();
});

const DAY = 86_400_000;

function backdate(count: number, daysAgo: number, tag: string): void {
  const insert = h.db.raw.prepare(
    `INSERT INTO traffic_log (request_id, agent, connector, action, method, host, path, decision, reason,
       status, latency_ms, bytes_in, bytes_out, mode, created_at, completed_at, params)
     VALUES (?, 'bot', 'plain', 'http.get', 'GET', 'plain.test', ?, 'allow', 'permission', 200, 3.5, 0, 512,
       'enforce', ?, ?, '{"q":"padding padding padding padding padding"}')`,
  );
  const at = new Date(Date.now() - daysAgo * DAY).toISOString();
  h.db.raw.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`${tag}-${i}`, `/old/${tag}/${i}`, at, at);
  })();
}

async function request(i: number): Promise<number> {
  const dispatcher = new ProxyAgent({ uri: h.proxyUrl('bot') });
  try {
    const res = await fetch(`http://plain.test/live/${i}`, { dispatcher });
    await res.text();
    return res.status;
  } finally {
    await dispatcher.close();
  }
}

describe('traffic-log retention', () => {
  it('removes exactly the rows past retention, in chunks, while traffic flows', async () => {
    backdate(6000, 45, 'old');
    backdate(300, 29, 'recent');
    await h.writer.drain();
    const before = h.rows().length;
    const sizeBefore = databaseSize(h.db.path);
    const { config } = resolveConfig({ flags: { trafficRetentionDays: '30' }, env: {} });
    const upkeep = createStorageUpkeep({
      config,
      dataDir: h.dir,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      registry: new Registry(),
      gateway: { db: h.db, writer: h.writer },
      options: { chunkBudgetMs: 2 },
    });
    // Traffic during the sweep: each request is logged by the same writer thread that prunes.
    let sent = 0;
    let sweeping = true;
    const traffic = (async () => {
      while (sweeping || sent < 20) expect(await request(sent++)).toBeLessThan(500);
    })();
    const [report] = await upkeep.sweepNow();
    sweeping = false;
    await traffic;
    await h.writer.drain();
    await upkeep.close();

    expect(report).toMatchObject({ table: 'traffic_log', deleted: 6000, error: null });
    expect(report!.chunks).toBeGreaterThan(1);
    expect(h.rows("request_id LIKE 'old-%'")).toHaveLength(0);
    expect(h.rows("request_id LIKE 'recent-%'")).toHaveLength(300);
    expect(h.rows("path LIKE '/live/%'")).toHaveLength(sent);
    expect(h.rows().length).toBe(before - 6000 + sent);
    // The seed's own query agrees.
    const { n } = h.db.raw
      .prepare("SELECT COUNT(*) AS n FROM traffic_log WHERE created_at < date('now', '-30 days')")
      .get() as { n: number };
    expect(n).toBe(0);
    // Space given back in place: the file uses incremental vacuum and its free pages went back.
    expect(h.db.raw.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(report!.freed_bytes).toBeGreaterThan(0);
    h.db.raw.pragma('wal_checkpoint(TRUNCATE)');
    expect(databaseSize(h.db.path)).toBeLessThan(sizeBefore);
    expect(h.db.raw.pragma('freelist_count', { simple: true })).toBe(0);
    expect(h.db.raw.pragma('integrity_check', { simple: true })).toBe('ok');
    console.log(
      `traffic retention: ${report!.deleted} rows in ${report!.chunks} chunks, longest chunk ${report!.max_chunk_ms.toFixed(2)} ms, ` +
        `${(report!.freed_bytes / 1024).toFixed(0)} kB given back, ${sent} requests served meanwhile`,
    );
  });

  it('keeps everything with traffic_retention_days 0', async () => {
    backdate(50, 400, 'ancient');
    const { config } = resolveConfig({ flags: { trafficRetentionDays: '0' }, env: {} });
    const upkeep = createStorageUpkeep({
      config,
      dataDir: h.dir,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      registry: new Registry(),
      gateway: { db: h.db, writer: h.writer },
    });
    expect(await upkeep.sweepNow()).toEqual([]);
    await upkeep.close();
    expect(h.rows("request_id LIKE 'ancient-%'")).toHaveLength(50);
  });
});
