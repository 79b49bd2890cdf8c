// /v1/traffic shows each request's parameters and filters on the action and on parameter values
// (issue 15 item 1), over action events as a gateway ships them.
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficPage } from '../../src/wire/traffic.js';
import { type ControlHarness, registerTestGateway, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
const shipped = [
  { action: 'stripe.refund.create', params: { amount: 5000, currency: 'usd', metadata: { order: 'A1' } } },
  { action: 'stripe.refund.create', params: { amount: 20, currency: 'eur' } },
  { action: 'stripe.charge.create', params: { amount: 5000, currency: 'usd', capture: true } },
  { action: 'github.pr.merge', params: { owner: 'octo', repo: 'hello', number: 7 } },
];

beforeAll(async () => {
  h = await startControlHarness();
  const events = shipped.map((e, i) => ({
    id: i + 1,
    event_type: 'action.allowed',
    payload: JSON.stringify({ request_id: `r${i + 1}`, agent: 'bot', decision: 'allow', ...e }),
    created_at: new Date().toISOString(),
  }));
  const res = await fetch(`${h.url}/internal/gateway/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.serviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ gateway: 'default', events }),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await h?.close();
});

async function traffic(query: string): Promise<string[]> {
  const res = await h.api<TrafficPage>('GET', `/v1/traffic${query}`);
  expect(res.status).toBe(200);
  return res.body.entries.map((e) => e.request_id!);
}

describe('/v1/traffic parameters', () => {
  it('shows them', async () => {
    const res = await h.api<TrafficPage>('GET', '/v1/traffic');
    expect(res.body.entries[0]).toMatchObject({ request_id: 'r1', params: shipped[0]!.params });
  });

  it('filters on an action or a family of actions', async () => {
    expect(await traffic('?action=stripe.refund.create')).toEqual(['r1', 'r2']);
    expect(await traffic('?action=stripe.*')).toEqual(['r1', 'r2', 'r3']);
  });

  it('filters on parameter values: numbers, strings, booleans, nested, all conditions at once', async () => {
    expect(await traffic('?param=amount=5000')).toEqual(['r1', 'r3']);
    expect(await traffic('?param=currency=usd&param=amount=5000&action=stripe.refund.*')).toEqual(['r1']);
    expect(await traffic('?param=capture=true')).toEqual(['r3']);
    expect(await traffic('?param=metadata.order=A1')).toEqual(['r1']);
    expect(await traffic('?param=number=7')).toEqual(['r4']);
    expect(await traffic('?param=amount=50')).toEqual([]);
  });

  it('refuses malformed filters with a clear error', async () => {
    for (const q of [
      '?param=amount',
      "?param=a'b=1",
      '?action=stripe.*.create',
      '?action=a%20b',
      '?action=stripe.refund.%25',
    ]) {
      const res = await h.api<{ code: string }>('GET', `/v1/traffic${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});

describe('/v1/traffic with a gateway that does not answer', () => {
  it('asks it once per listing, not once per page of a parameter scan, and lists its events without details', {
    timeout: 30_000,
  }, async () => {
    // Accepts connections and never answers: what a hung or black-holed gateway looks like.
    const held: Socket[] = [];
    const asked: string[] = [];
    const blackHole = createServer((socket) => {
      held.push(socket);
      // The request line's method and path (what the control plane asked for).
      socket.once('data', (d) => asked.push(d.toString('latin1').split(' ', 2).join(' ')));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const port = (blackHole.address() as { port: number }).port;
    try {
      const reg = await registerTestGateway(h.url, h.serviceToken, {
        name: 'far',
        publicUrl: `http://127.0.0.1:${port}`,
      });
      expect(reg.status).toBe(200);
      // 1,100 compact events (each refers to a row of gateway `far`): a parameter scan reads them in
      // three pages of 500.
      const events = Array.from({ length: 1_100 }, (_, i) => ({
        id: i + 1,
        event_type: 'action.allowed',
        payload: JSON.stringify({
          agent: 'far-bot',
          action: 'stripe.refund.create',
          decision: 'allow',
          traffic_id: i + 1,
        }),
        created_at: new Date().toISOString(),
      }));
      const shippedFar = await fetch(`${h.url}/internal/gateway/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.serviceToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ gateway: 'far', events }),
      });
      expect(shippedFar.status).toBe(200);

      // The parameters live in the rows, which cannot be had: nothing matches, and the scan went
      // through all three pages asking the gateway once.
      const scan = await h.api<TrafficPage>('GET', '/v1/traffic?param=amount=777&last=10');
      expect(scan.status).toBe(200);
      expect(scan.body.entries).toEqual([]);
      expect(asked).toEqual([expect.stringMatching(/^GET \/internal\/traffic\?ids=/)]);

      // Without conditions its events are listed from the ledger alone, marked as without details.
      const listed = await h.api<TrafficPage>('GET', '/v1/traffic?action=stripe.refund.create&last=3');
      expect(listed.status).toBe(200);
      expect(listed.body.entries).toHaveLength(3);
      for (const e of listed.body.entries)
        expect(e).toMatchObject({ agent: 'far-bot', details: 'unavailable' });
      expect(asked).toHaveLength(2);
    } finally {
      for (const s of held) s.destroy();
      blackHole.close();
    }
  });
});
