// Outbound webhooks to listed URLs: `webhook.<method>`. When a signing secret is stored, the
// gateway signs the exact body it forwards with `signWebhookBody` and sets the signature header
// (`extra.signatureHeader`, default `x-tameflare-signature`). Signing needs the whole body, so the
// gateway buffers it (up to maxBodyBytes) for signed webhooks only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { methodRisk, methodSegment } from './action-name.js';
import { guardedMap } from './rest-mapper.js';
import type { ActionSpec, ConnectorOptions, ConnectorType } from './types.js';

export const WEBHOOK_SIGNATURE_HEADER = 'x-tameflare-signature';

/** The header carrying the signature: `extra.signatureHeader` when it is a valid header name. */
export function webhookSignatureHeader(options: ConnectorOptions): string {
  const h = options.extra?.['signatureHeader'];
  return typeof h === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(h)
    ? h.toLowerCase()
    : WEBHOOK_SIGNATURE_HEADER;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the layout Stripe uses, so receivers
 * know how to check it). The timestamp inside the signed text lets receivers refuse replays.
 */
export function signWebhookBody(secret: string, body: Buffer, timestamp: number): string {
  const t = Math.floor(timestamp);
  const mac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** Receiver side (and tests): a signature made by `signWebhookBody` for this body, checked in constant time. */
export function verifyWebhookSignature(secret: string, body: Buffer, header: string): boolean {
  const m = /^t=(\d{1,15}),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = Buffer.from(signWebhookBody(secret, body, Number(m[1])));
  const given = Buffer.from(header.trim());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const catalogue: ActionSpec[] = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'].map((m) => ({
  action: `webhook.${m.toLowerCase()}`,
  method: m,
  path: '/{path}',
  risk: methodRisk(m),
  params: [],
  description: `A ${m} to a listed webhook URL.`,
}));

export const webhookConnector: ConnectorType = {
  type: 'webhook',
  title: 'Outbound webhook',
  defaultDomains: () => [],
  defaultAuth: 'none',
  credentialHeaders: [],
  maxBodyBytes: 1024 * 1024,
  wantsBody: () => false,
  map: (req) =>
    guardedMap('webhook', req, () => ({
      action: `webhook.${methodSegment(req.method)}`,
      params: {},
      risk: methodRisk(req.method),
    })),
  catalogue,
  docs: {
    parameters: ['none: policies use the request fields (method, host, path)'],
    notes: [
      'The stored secret is an HMAC key, not a header: the gateway signs the body (`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`) into `x-tameflare-signature` or `extra.signatureHeader`.',
      'Other HTTP methods map to `webhook.<method>`.',
    ],
  },
};
