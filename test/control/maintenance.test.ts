import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys } from '../../src/audit/anchor.js';
import { appendAuditEvents } from '../../src/audit/ledger.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

const SECRET = 'maintenance-secret-0123456789';
let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness({ env: { MAINTENANCE_SECRET: SECRET, AUDIT_RETENTION_DAYS: '30' } });
});
afterAll(async () => {
  await h?.close();
});

const cleanup = (auth?: string) =>
  fetch(`${h.url}/api/maintenance/cleanup`, { method: 'POST', headers: auth ? { authorization: auth } : {} });

describe('POST /api/maintenance/cleanup', () => {
  it('needs the maintenance secret', async () => {
    expect((await cleanup()).status).toBe(401);
    expect((await cleanup(`Bearer ${h.token}`)).status).toBe(401);
  });

  it('purges audit events past retention, expired sessions and old nonces, and the chain still verifies', async () => {
    const day = 86_400_000;
    const old = (d: number) => new Date(Date.now() - d * day).toISOString();
    // Old events first in the chain (their ids are lower), as the ledger appends them in time order.
    await h.db.db.deleteFrom('audit_events').execute();
    await appendAuditEvents(h.db.db, [
      { type: 'agent.created', actor: 'system', createdAt: old(60) },
      { type: 'agent.created', actor: 'system', createdAt: old(45) },
      { type: 'agent.removed', actor: 'system', createdAt: old(31) },
      { type: 'agent.created', actor: 'system', createdAt: old(5) },
    ]);
    await h.db.db
      .insertInto('used_nonces')
      .values([
        { nonce: 'n-old', used_at: old(2) },
        { nonce: 'n-new', used_at: new Date().toISOString() },
      ])
      .execute();
    const res = await cleanup(`Bearer ${SECRET}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ audit_events_deleted: 3, nonces_deleted: 1, retention_days: 30 });
    const types = (await h.db.db.selectFrom('audit_events').select('event_type').orderBy('id').execute()).map(
      (r) => r.event_type,
    );
    expect(types).toEqual(['agent.created', 'maintenance.cleanup']);
    const { publicKey } = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    const v = await verifyChain(h.db.db, publicKey);
    expect(v).toMatchObject({ ok: true, checked: 2 });
    expect(v.anchor?.pruned_total).toBe(3);
  });

  it('detects a forged anchor and an edited event', async () => {
    const { publicKey } = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    const row = await h.db.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'audit_anchor')
      .executeTakeFirstOrThrow();
    const forged = JSON.parse(row.value) as { anchor: { pruned_total: number } };
    forged.anchor.pruned_total = 0;
    await h.db.db
      .updateTable('settings')
      .set({ value: JSON.stringify(forged) })
      .where('key', '=', 'audit_anchor')
      .execute();
    expect((await verifyChain(h.db.db, publicKey)).firstBad?.reason).toMatch(/anchor is invalid/);
    await h.db.db
      .updateTable('settings')
      .set({ value: row.value })
      .where('key', '=', 'audit_anchor')
      .execute();

    const first = await h.db.db
      .selectFrom('audit_events')
      .select(['id', 'details'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await h.db.db
      .updateTable('audit_events')
      .set({ details: '{"edited":true}' })
      .where('id', '=', first.id)
      .execute();
    const v = await verifyChain(h.db.db, publicKey);
    expect(v.ok).toBe(false);
    expect(v.firstBad).toMatchObject({
      id: first.id,
      problem: 'altered',
      reason: 'its content does not match its hash',
    });
  });

  it('is disabled without MAINTENANCE_SECRET', async () => {
    const other = await startControlHarness();
    try {
      const r = await fetch(`${other.url}/api/maintenance/cleanup`, {
        method: 'POST',
        headers: { authorization: 'Bearer x' },
      });
      expect(r.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
