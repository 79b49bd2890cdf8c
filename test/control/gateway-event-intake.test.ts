// The control plane's intake of a gateway's outbox (issue 15 item 2): a large batch is recorded in
// bounded chunks, each its own transaction, yet the ledger keeps its guarantees: every event once,
// in the gateway's order, the hash chain intact, also while other routes append their own audit
// events (in their kysely transactions) in between the chunks; a redelivered batch adds nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys } from '../../src/audit/anchor.js';
import { hashEvent } from '../../src/audit/ledger.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness();
});
afterAll(async () => {
  await h?.close();
});

function events(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return {
      id,
      event_type: 'action.allowed',
      // Keys in no particular order, nested parameters: stored canonically, hashed as stored.
      payload: JSON.stringify({
        request_id: `req-${id}`,
        status: 200,
        agent: 'intake-bot',
        action: 'stripe.refund.create',
        params: { currency: 'usd', amount: id, metadata: { z: 1, a: [true, null] } },
        decision: 'allow',
        created_at: new Date(1_700_000_000_000 + id).toISOString(),
      }),
      created_at: new Date(1_700_000_000_000 + id).toISOString(),
    };
  });
}

/** Audit events recorded (of one type). Through kysely: the same on SQLite and PostgreSQL. */
async function count(eventType?: string): Promise<number> {
  let q = h.db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (eventType) q = q.where('event_type', '=', eventType);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

async function post(batch: ReturnType<typeof events>): Promise<number> {
  const res = await fetch(`${h.url}/internal/gateway/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.serviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ gateway: 'intake-gw', events: batch }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { acknowledged: number }).acknowledged;
}

describe('gateway event intake', () => {
  it('records a large batch once, in order, chained, while other changes are recorded meanwhile', async () => {
    const batch = events(1, 3000).reverse(); // delivered out of order: recorded in id order
    const posted = post(batch);
    // Once the intake has begun, other routes record their changes (agent.created) meanwhile.
    while ((await count('action.allowed')) === 0) await new Promise((resolve) => setImmediate(resolve));
    const agents = await Promise.all(
      Array.from({ length: 5 }, (_, i) => h.api('POST', '/v1/agents', { name: `intake-agent-${i}` })),
    );
    expect(await posted).toBe(3000);
    for (const a of agents) expect(a.status).toBe(201);

    const rows = await h.db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('event_type', '=', 'action.allowed')
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(3000);
    const ids = rows.map((r) => (JSON.parse(r.details) as { gateway_event_id: number }).gateway_event_id);
    expect(ids).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(rows[0]).toMatchObject({ actor: 'agent:intake-bot', subject: 'stripe.refund.create' });
    // Stored canonically (sorted keys), with the gateway's name and event id added.
    expect(JSON.parse(rows[0]!.details)).toMatchObject({
      gateway: 'intake-gw',
      gateway_event_id: 1,
      params: { amount: 1, currency: 'usd' },
    });
    expect(rows[0]!.details.indexOf('"action"')).toBeLessThan(rows[0]!.details.indexOf('"agent"'));

    const { publicKey } = signingKeys(readFileSync(join(h.dataDir, 'signing.key'), 'utf8'));
    const verified = await verifyChain(h.db.db, publicKey);
    expect(verified.firstBad).toBeUndefined();
    expect(verified.ok).toBe(true);
    expect(await count('agent.created')).toBe(5);
  });

  it('skips what it already took and takes what is new', async () => {
    const before = await count();
    expect(await post(events(2990, 20))).toBe(3009);
    const after = await count();
    expect(after - before).toBe(9);
    // A tampered row is still found by verification (the stored text is what is hashed).
    const last = await h.db.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    if (last.prev_hash === null || last.hash === null) throw new Error('an unchained event');
    expect(hashEvent(last, last.prev_hash)).toBe(last.hash);
    expect(
      hashEvent({ ...last, details: last.details.replace('"amount":3009', '"amount":9') }, last.prev_hash),
    ).not.toBe(last.hash);
  });
});
