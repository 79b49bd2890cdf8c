// Automatic retention of the audit log on a live control plane: back-dated events past
// AUDIT_RETENTION_DAYS are removed in chunks (a contiguous prefix of the chain each, with the signed
// anchor rewritten in the same transaction) while new events keep being appended; the chain still
// verifies through the API `tameflare audit verify` uses, and every event inside the window stays.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnchorKeys, readAnchor, signingKeys } from '../../src/audit/anchor.js';
import { appendAuditEvents } from '../../src/audit/ledger.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { runCleanup } from '../../src/control/maintenance/maintenance-store.js';
import { createStorageUpkeep } from '../../src/daemon/upkeep/storage-upkeep.js';
import { anchorKeys, signingKeyRing } from '../../src/tokens/signing-key-ring.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness({ env: { AUDIT_RETENTION_DAYS: '30' } });
});
afterAll(async () => {
  await h?.close();
});

const DAY = 86_400_000;
/** The keys as the daemon hands them to retention: a ring over signing.key, read at each use. */
const ringKeys = (): AnchorKeys =>
  anchorKeys(signingKeyRing(h.db.db, join(h.dataDir, 'signing.key'), () => new Date()));
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
      control: { db: h.db, keys: ringKeys() },
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

  it('exports the first event after the anchor with the anchor as its link, compact events included', async () => {
    const keys = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    await h.db.db.deleteFrom('audit_events').execute();
    await h.db.db.deleteFrom('settings').where('key', '=', 'audit_anchor').execute();
    await appendAuditEvents(h.db.db, [
      { type: 'action.allowed', actor: 'agent:bot', subject: 'http.get', createdAt: ago(50) },
      { type: 'action.allowed', actor: 'agent:bot', subject: 'http.get', createdAt: ago(10) },
      { type: 'action.denied', actor: 'agent:bot', subject: 'http.post', createdAt: ago(9) },
    ]);
    // As the intake stores a gateway's compact events: the previous hash implied (src/audit/ledger.ts).
    await h.db.db.updateTable('audit_events').set({ prev_hash: null }).execute();
    await runCleanup(h.db.db, {
      retentionDays: 30,
      now: new Date(),
      privateKey: keys.privateKey,
      publicKeys: [keys.publicKey],
    });
    const anchor = await readAnchor(h.db.db, [keys.publicKey]);
    expect(anchor.status).toBe('ok');
    const res = await fetch(`${h.url}/v1/audit/export?format=jsonl`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_type: string; prev_hash: string | null; hash: string });
    const actions = lines.filter((l) => l.event_type.startsWith('action.'));
    expect(actions).toHaveLength(2);
    expect(lines[0]!.prev_hash).toBe(anchor.status === 'ok' ? anchor.anchor.hash : 'no anchor');
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.prev_hash).toBe(lines[i - 1]!.hash);
    expect(await verifyChain(h.db.db, keys.publicKey)).toMatchObject({ ok: true, checked: lines.length });
  });

  it('keeps pruning after `keys rotate` (and a restart): the anchor verifies with the key that signed it', async () => {
    await h.db.db.deleteFrom('audit_events').execute();
    await h.db.db.deleteFrom('settings').where('key', '=', 'audit_anchor').execute();
    const { config } = resolveConfig({ flags: {}, env: { AUDIT_RETENTION_DAYS: '30' } });
    const sweepWith = async (keys: AnchorKeys) => {
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
      return report!;
    };
    const old = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({
        type: 'agent.created',
        actor: 'system',
        details: { tag: `${tag}-${i}` },
        createdAt: ago(45),
      }));
    const before = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    await appendAuditEvents(h.db.db, old(5, 'first'));
    // The first anchor is signed with the key current before the rotation.
    expect(await sweepWith(ringKeys())).toMatchObject({ deleted: 4, error: null });
    expect(await readAnchor(h.db.db, before.publicKey)).toMatchObject({ status: 'ok' });

    const rotated = await h.api<{ previous_kid: string }>('POST', '/v1/keys/rotate');
    expect(rotated.status).toBe(200);
    const after = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    expect(after.publicKey.equals(before.publicKey)).toBe(false);
    // The rotation appended its own (recent) event, so the first batch's newest event, kept as the
    // chain's head by the first sweep, is now prunable. A restarted daemon has only the new key in
    // signing.key: a fresh ring, as at start-up.
    const report = await sweepWith(ringKeys());
    expect(report).toMatchObject({ deleted: 1, error: null });
    // The new anchor is signed with the new key, and the chain verifies from it.
    const anchor = await readAnchor(h.db.db, after.publicKey);
    expect(anchor).toMatchObject({ status: 'ok', anchor: { pruned_total: 5 } });
    expect(await readAnchor(h.db.db, before.publicKey)).toMatchObject({ status: 'invalid' });
    const api = await h.api('GET', '/v1/audit/verify');
    expect(api.body).toMatchObject({ ok: true, first_bad: null, anchor: { pruned_total: 5 } });
  });

  it('stops, without deleting, when the anchor does not verify', async () => {
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
      control: { db: h.db, keys: ringKeys() },
    });
    const [report] = await upkeep.sweepNow();
    await upkeep.close();
    expect(report!.deleted).toBe(0);
    expect(report!.error).toMatch(/anchor does not verify/);
    expect(await h.db.db.selectFrom('audit_events').select('id').execute()).toHaveLength(2);
  });
});
