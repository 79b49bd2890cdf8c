// /v1/approvals/webhooks: receivers told about every new approval and every decision. The signing
// secret is returned once, when the receiver is added; URLs are shown shortened, because an incoming
// webhook URL (Slack's) is itself a credential.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { WebhookCreatedWire, WebhookDeliveryWire, WebhookWire } from '../../wire/approvals.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import {
  createWebhook,
  type DeliveryRow,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  type WebhookRow,
} from './webhook-store.js';

export interface WebhookRouteDeps {
  db: Kysely<LocalDatabase>;
  now: () => Date;
  approvals: { webhooksChanged(): void };
}

const WEBHOOK_ID = '^whk_[0-9a-f]{16}$';

export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const { db } = deps;
  app.get(
    '/approvals/webhooks',
    { schema: { summary: 'List approval webhook receivers', tags: ['approvals'] } },
    async () => ({ webhooks: (await listWebhooks(db)).map(toWebhookWire) }),
  );

  app.post(
    '/approvals/webhooks',
    {
      schema: {
        summary: 'Add an approval webhook receiver (its signing secret is returned once)',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', maxLength: 2000, pattern: '^https?://' },
            format: { type: 'string', enum: ['json', 'slack'], default: 'json' },
            secret: { type: 'string', minLength: 16, maxLength: 200 },
          },
        },
      },
    },
    async (req, reply): Promise<WebhookCreatedWire> => {
      const b = req.body as { url: string; format: 'json' | 'slack'; secret?: string };
      try {
        new URL(b.url);
      } catch {
        throw new AppError('validation_failed', `not a URL: ${b.url}`);
      }
      const row = await createWebhook(db, b, { actor: actorOf(principalOf(req)), now: deps.now() });
      deps.approvals.webhooksChanged();
      void reply.status(201);
      return { ...toWebhookWire(row), secret: row.secret };
    },
  );

  app.delete(
    '/approvals/webhooks/:id',
    {
      schema: {
        summary: 'Remove an approval webhook receiver and its delivery records',
        tags: ['approvals'],
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: { id: { type: 'string', pattern: WEBHOOK_ID } },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      await deleteWebhook(db, id, { actor: actorOf(principalOf(req)), now: deps.now() });
      deps.approvals.webhooksChanged();
      return { removed: id };
    },
  );

  app.get(
    '/approvals/webhooks/deliveries',
    {
      schema: {
        summary: 'Webhook deliveries, newest first: each event sent, its attempts and the last answer',
        tags: ['approvals'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            webhook: { type: 'string', pattern: WEBHOOK_ID },
            approval: { type: 'string', pattern: '^apv_[0-9a-f]{20}$' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { webhook?: string; approval?: string; limit: number };
      const rows = await listDeliveries(db, { webhookId: q.webhook, approvalId: q.approval, limit: q.limit });
      return { deliveries: rows.map(toDeliveryWire) };
    },
  );
}

function toWebhookWire(row: WebhookRow): WebhookWire {
  return {
    id: row.id,
    url: shortUrl(row.url),
    format: row.format === 'slack' ? 'slack' : 'json',
    enabled: row.enabled === 1,
    secret_last4: row.secret.slice(-4),
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/** Scheme, host and the start of the path: enough to recognise a receiver, not to post to it. */
export function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.length > 12 ? `${u.pathname.slice(0, 12)}…` : u.pathname;
    return `${u.origin}${path}`;
  } catch {
    return '(unreadable URL)';
  }
}

function toDeliveryWire(row: DeliveryRow): WebhookDeliveryWire {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event: row.event,
    approval_id: row.approval_id,
    status: row.status as WebhookDeliveryWire['status'],
    attempts: row.attempts,
    last_status: row.last_status,
    last_error: row.last_error,
    created_at: row.created_at,
    next_attempt_at: row.next_attempt_at,
    delivered_at: row.delivered_at,
  };
}
