import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../connectors/webhook.js';
import type { ApprovalWire } from '../wire/approvals.js';
import { SIGNATURE_HEADER, webhookBody, webhookHeaders } from './webhook-payload.js';

const approval = {
  id: 'apv_0123456789abcdef0123',
  status: 'pending',
  agent: 'pay-bot',
  action: 'stripe.refund.create',
  method: 'POST',
  host: 'api.stripe.com',
  path: '/v1/refunds',
  reasons: ['refunds above 50.00 need <finance> & ops'],
  expires_at: '2030-01-01T01:00:00.000Z',
  decided_by: null,
  note: null,
  grant: null,
} as unknown as ApprovalWire;

describe('webhook payloads', () => {
  it('JSON: the event type, time and approval, signed over timestamp and body', () => {
    const body = webhookBody('json', 'approval.requested', approval, '2030-01-01T00:00:00.000Z');
    expect(JSON.parse(body)).toEqual({
      type: 'approval.requested',
      created_at: '2030-01-01T00:00:00.000Z',
      approval,
    });
    const headers = webhookHeaders('s3cret-s3cret-s3cret', body, {
      event: 'approval.requested',
      deliveryId: 7,
      nowSeconds: 1_900_000_000,
      version: '1.2.3',
    });
    expect(headers).toMatchObject({ 'x-tameflare-event': 'approval.requested', 'x-tameflare-delivery': '7' });
    expect(headers[SIGNATURE_HEADER]).toMatch(/^t=1900000000,v1=[0-9a-f]{64}$/);
    expect(
      verifyWebhookSignature('s3cret-s3cret-s3cret', Buffer.from(body), headers[SIGNATURE_HEADER]!),
    ).toBe(true);
  });

  it('Slack: a text message, with Slack control characters escaped', () => {
    const requested = JSON.parse(webhookBody('slack', 'approval.requested', approval, 'now')) as {
      text: string;
    };
    expect(requested.text).toContain(
      '*pay-bot* wants `stripe.refund.create` (POST api.stripe.com/v1/refunds)',
    );
    expect(requested.text).toContain('&lt;finance&gt; &amp; ops');
    expect(requested.text).toContain(`tameflare approvals approve ${approval.id}`);
    const decided = JSON.parse(
      webhookBody(
        'slack',
        'approval.decided',
        { ...approval, status: 'denied', decided_by: 'user:a@b', note: 'no' },
        'now',
      ),
    ) as { text: string };
    expect(decided.text).toBe(
      ':no_entry: `stripe.refund.create` for *pay-bot* denied by user:a@b: no (id `apv_0123456789abcdef0123`)',
    );
  });
});
