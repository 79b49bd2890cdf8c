// Approval webhooks against real receivers on loopback: each new approval and each decision is
// POSTed as signed JSON (or as a Slack incoming-webhook message), a failing receiver is retried with
// backoff, every attempt is recorded, and a receiver that never answers does not hold a decision up.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/connectors/webhook.js';
import type { WebhookCreatedWire, WebhookDeliveryWire } from '../../src/wire/approvals.js';
import { eventually } from '../cli/cli-harness.js';
import {
  approvalFor,
  configureApprovals,
  curlVia,
  type InProcessDaemon,
  type RecordingUpstream,
  startInProcess,
  startRecordingUpstream,
} from './approval-helpers.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Requests it has not answered yet (the hanging receiver). */
  open: ServerResponse[];
  server: Server;
}

async function receiver(answer: (n: number, res: ServerResponse) => void): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], open: [], server: createServer() };
  r.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      r.received.push({ headers: req.headers, body });
      answer(r.received.length, res);
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hooks/approvals`;
  return r;
}

let d: InProcessDaemon;
let upstream: RecordingUpstream;
let proxy: string;
let good: Receiver;
let flaky: Receiver;
let hanging: Receiver;
let slack: Receiver;
const secrets: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  d = await startInProcess({ upstreamPort: upstream.server.port });
  proxy = `http://bot:${await configureApprovals(d.cli, d.dataDir)}@${new URL(d.gatewayUrl).host}`;
  good = await receiver((_n, res) => res.end('ok'));
  flaky = await receiver((n, res) => {
    res.statusCode = n === 1 ? 500 : 204;
    res.end();
  });
  hanging = await receiver((_n, res) => hanging.open.push(res));
  slack = await receiver((_n, res) => res.end('ok'));
  for (const [name, r, format] of [
    ['good', good, 'json'],
    ['flaky', flaky, 'json'],
    ['hanging', hanging, 'json'],
    ['slack', slack, 'slack'],
  ] as const) {
    const created = await d.api<WebhookCreatedWire>('POST', '/v1/approvals/webhooks', { url: r.url, format });
    expect(created.status).toBe(201);
    secrets[name] = created.body.secret;
    ids[name] = created.body.id;
    expect(created.body.url).toBe(r.url.replace('/hooks/approvals', '/hooks/appro…'));
  }
}, 60_000);

afterAll(async () => {
  for (const res of hanging?.open ?? []) res.destroy();
  await d?.close();
  for (const r of [good, flaky, hanging, slack]) r?.server.close();
  await upstream?.server.close();
});

describe('approval webhooks', () => {
  it('signs an event per new approval and per decision; a hanging receiver does not delay the decision', async () => {
    const held = curlVia(proxy, 'http://plain.test/notify-me');
    const approval = await approvalFor(d.control, '/notify-me');
    await eventually(
      async () => hanging.received.length,
      (n) => n >= 1,
      'the hanging receiver got the request',
    );
    const decided = await d.api('POST', `/v1/approvals/${approval.id}/approve`, { note: 'go' });
    expect(decided.status).toBe(200);
    // The decision was answered while that receiver still holds its first delivery open.
    expect(hanging.open.length).toBeGreaterThanOrEqual(1);
    expect((await held).status).toBe(200);

    const events = await eventually(
      async () => good.received,
      (r) => r.length >= 2,
      'the receiver got both events',
    );
    const [requested, decidedEvent] = events.map(
      (e) => JSON.parse(e.body) as { type: string; approval: { id: string; status: string } },
    );
    expect(requested).toMatchObject({
      type: 'approval.requested',
      approval: { id: approval.id, status: 'pending' },
    });
    expect(decidedEvent).toMatchObject({
      type: 'approval.decided',
      approval: { id: approval.id, status: 'approved' },
    });
    for (const e of events) {
      expect(e.headers['content-type']).toBe('application/json');
      const signature = String(e.headers['x-tameflare-signature']);
      expect(verifyWebhookSignature(secrets['good']!, Buffer.from(e.body), signature)).toBe(true);
      // Another receiver's secret does not verify it, nor does a changed body.
      expect(verifyWebhookSignature(secrets['flaky']!, Buffer.from(e.body), signature)).toBe(false);
      expect(verifyWebhookSignature(secrets['good']!, Buffer.from(`${e.body} `), signature)).toBe(false);
    }

    const text = await eventually(
      async () => slack.received,
      (r) => r.length >= 2,
      'slack got both',
    );
    expect((JSON.parse(text[0]!.body) as { text: string }).text).toContain(
      `Approval needed: *bot* wants \`http.get\``,
    );
    expect((JSON.parse(text[1]!.body) as { text: string }).text).toContain(`approved by token:cli (local)`);
  });

  it('retries a failing receiver with backoff and records every attempt', async () => {
    const deliveries = await eventually(
      async () =>
        (
          await d.api<{ deliveries: WebhookDeliveryWire[] }>(
            'GET',
            `/v1/approvals/webhooks/deliveries?webhook=${ids['flaky']}`,
          )
        ).body.deliveries,
      (list) => list.length === 2 && list.every((x) => x.status === 'delivered'),
      'both deliveries to the flaky receiver arrived',
      20_000,
    );
    const first = deliveries.find((x) => x.event === 'approval.requested')!;
    expect(first).toMatchObject({ attempts: 2, last_status: 204, last_error: null });
    expect(flaky.received.length).toBe(3); // 500, then 204, then the decision's 204
    const list = await d.cli(['approvals', 'webhook', 'deliveries', '--webhook', ids['good']!]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/approval\.decided\s+apv_[0-9a-f]{20}\s+delivered\s+1/);
  });

  it('is managed by admins only, and removed receivers get nothing more', async () => {
    const member = await d.tokenWithRole('member');
    expect((await d.api('GET', '/v1/approvals/webhooks', undefined, member)).status).toBe(403);
    expect((await d.api('DELETE', `/v1/approvals/webhooks/${ids['hanging']}`)).status).toBe(200);
    const listed = await d.cli(['approvals', 'webhook', 'list', '--json']);
    expect(JSON.parse(listed.stdout).webhooks.map((w: { id: string }) => w.id)).not.toContain(ids['hanging']);
    expect(listed.stdout).not.toContain(secrets['good']!);

    const before = { good: good.received.length };
    const held = curlVia(proxy, 'http://plain.test/after-removal');
    const approval = await approvalFor(d.control, '/after-removal');
    expect((await d.api('POST', `/v1/approvals/${approval.id}/deny`, {})).status).toBe(200);
    expect((await held).status).toBe(403);
    await eventually(
      async () => good.received.length,
      (n) => n === before.good + 2,
      'the remaining receiver got both',
    );
    expect(hanging.received.filter((r) => r.body.includes(approval.id))).toEqual([]);
  });
});
