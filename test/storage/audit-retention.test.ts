// Automatic retention of the audit log on a live control plane: back-dated events past
// AUDIT_RETENTION_DAYS are removed in chunks (a contiguous prefix of the chain each, with the signed
// anchor rewritten in the same transaction) while new events keep being appended; the chain still
// verifies through the API `tameflare audit verify` uses, and every event inside the window stays.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys } from '../../src/audit/anchor.js';
import { appendAuditEvents } from '../../src/audit/ledger.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { runCleanup } from '../../src/control/maintenance/maintenance-store.js';
import { createStorageUpkeep } from '../../src/daemon/upkeep/storage-upkeep.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness({ env: { AUDIT_RETENTION_DAYS: '30' } });
});
afterAll(async () => {
  await h?.close();
});

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

describe('audit-log retention', () => {
  it('removes exactly the events past retention, in chunks, while events are appended; the chain verifies', async () => {
    const keys = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    await h.db.db.deleteFrom('audit_events').execute();
    // Old events first in the chain (their ids are lower), as the ledger appends them in time order.
    const old = Array.from({ length: 3000 }, (_, i) => ({
      type: 'action.allowed',
      actor: 'agent:bot',
      subject: 'github.pr.merge',
      details: { request_id: `old-${i}`, gateway: 'default' },
      createdAt: ago(45),
    }));
    await appendAuditEvents(h.db.db, old);
    await appendAuditEvents(h.db.db, [{ type: 'agent.created', actor: 'system', createdAt: ago(29) }]);
    const { config } = resolveConfig({ flags: {}, env: { AUDIT_RETENTION_DAYS: '30' } });
    const upkeep = createStorageUpkeep({
      config,
      dataDir: h.dataDir,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      registry: new Registry(),
      control: { db: h.db, keys },
      options: { chunkBudgetMs: 2 },
    });
    let appended = 0;
    let sweeping = true;
    const writes = (async () => {
      while (sweeping || appended < 20) {
        await appendAuditEvents(h.db.db, [
          { type: 'action.allowed', actor: 'agent:bot', details: { request_id: `new-${appended++}` } },
        ]);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const [report] = await upkeep.sweepNow();
    sweeping = false;
    await writes;
    await upkeep.close();

    expect(report).toMatchObject({ table: 'audit_events', deleted: 3000, error: null });
    expect(report!.chunks).toBeGreaterThan(1);
    const left = await h.db.db
      .selectFrom('audit_events')
      .select(['event_type', 'details'])
      .orderBy('id')
      .execute();
    expect(left.filter((e) => e.details.includes('"old-'))).toHaveLength(0);
    expect(left.filter((e) => e.event_type === 'agent.created')).toHaveLength(1);
    expect(left.filter((e) => e.details.includes('"new-'))).toHaveLength(appended);
    // The chain verifies from the signed anchor: directly, and through the API `audit verify` calls.
    const v = await verifyChain(h.db.db, keys.publicKey);
    expect(v).toMatchObject({ ok: true, checked: left.length });
    expect(v.anchor?.pruned_total).toBe(3000);
    const api = await h.api('GET', '/v1/audit/verify');
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ ok: true, first_bad: null, anchor: { pruned_total: 3000 } });
    expect(h.db.raw?.pragma('integrity_check', { simple: true })).toBe('ok');
    console.log(
      `audit retention: ${report!.deleted} events in ${report!.chunks} chunks, longest chunk ${report!.max_chunk_ms.toFixed(2)} ms, ` +
        `${(report!.freed_bytes / 1024).toFixed(0)} kB given back, ${appended} events appended meanwhile`,
    );
  });

  it('the maintenance cleanup keeps the chain verifiable when every event is past retention', async () => {
    const keys = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    await h.db.db.deleteFrom('audit_events').execute();
    await h.db.db.deleteFrom('settings').where('key', '=', 'audit_anchor').execute();
    await appendAuditEvents(h.db.db, [
      { type: 'agent.created', actor: 'system', createdAt: ago(50) },
      { type: 'agent.removed', actor: 'system', createdAt: ago(40) },
    ]);
    const result = await runCleanup(h.db.db, {
      retentionDays: 30,
      now: new Date(),
      privateKey: keys.privateKey,
      publicKeys: [keys.publicKey],
    });
    expect(result.audit_events_deleted).toBe(1);
    const v = await verifyChain(h.db.db, keys.publicKey);
    expect(v).toMatchObject({ ok: true, checked: 2 }); // the newest old event and the cleanup event
  });

  it('stops, without deleting, when the anchor does not verify', async () => {
    const keys = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    await h.db.db.deleteFrom('audit_events').execute();
    await appendAuditEvents(h.db.db, [
      { type: 'agent.created', actor: 'system', createdAt: ago(40) },
      { type: 'agent.created', actor: 'system', createdAt: ago(1) },
    ]);
    const row = await h.db.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'audit_anchor')
      .executeTakeFirstOrThrow();
    const forged = JSON.parse(row.value) as { anchor: { pruned_total: number } };
    forged.anchor.pruned_total += 1000;
    await h.db.db
      .updateTable('settings')
      .set({ value: JSON.stringify(forged) })
      .where('key', '=', 'audit_anchor')
      .execute();
    const { config } = resolveConfig({ flags: {}, env: { AUDIT_RETENTION_DAYS: '30' } });
    const upkeep = createStorageUpkeep({
      config,
      dataDir: h.dataDir,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      registry: new Registry(),
      control: { db: h.db, keys },
    });
    const [report] = await upkeep.sweepNow();
    await upkeep.close();
    expect(report!.deleted).toBe(0);
    expect(report!.error).toMatch(/anchor does not verify/);
    expect(await h.db.db.selectFrom('audit_events').select('id').execute()).toHaveLength(2);
  });
});
