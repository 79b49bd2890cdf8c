// Approval webhooks and their deliveries in local.db: all their SQL. A delivery row is written per
// receiver and event before anything is sent, and every attempt updates it, so `deliveries` shows
// what each receiver was sent, how often, and what it answered.
import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { type Db, inTransaction } from '../db.js';

export type WebhookRow = Selectable<LocalDatabase['approval_webhooks']>;
export type DeliveryRow = Selectable<LocalDatabase['approval_webhook_deliveries']>;

export async function createWebhook(
  db: Db,
  input: { url: string; format: 'json' | 'slack'; secret?: string | undefined },
  ctx: { actor: string; now: Date },
): Promise<WebhookRow> {
  const row: WebhookRow = {
    id: `whk_${randomBytes(8).toString('hex')}`,
    url: input.url,
    format: input.format,
    secret: input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`,
    enabled: 1,
    created_by: ctx.actor,
    created_at: ctx.now.toISOString(),
  };
  await inTransaction(db, async (trx) => {
    await trx.insertInto('approval_webhooks').values(row).execute();
    await appendAuditEvent(trx, {
      type: 'approval.webhook_created',
      actor: ctx.actor,
      subject: row.id,
      details: { webhook_id: row.id, origin: new URL(row.url).origin, format: row.format },
      createdAt: row.created_at,
    });
  });
  return row;
}

export async function listWebhooks(db: Db, opts: { enabledOnly?: boolean } = {}): Promise<WebhookRow[]> {
  let q = db.selectFrom('approval_webhooks').selectAll();
  if (opts.enabledOnly) q = q.where('enabled', '=', 1);
  return q.orderBy('created_at').execute();
}

export async function deleteWebhook(db: Db, id: string, ctx: { actor: string; now: Date }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const res = await trx.deleteFrom('approval_webhooks').where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new AppError('not_found', `no webhook ${id}`);
    await trx.deleteFrom('approval_webhook_deliveries').where('webhook_id', '=', id).execute();
    await appendAuditEvent(trx, {
      type: 'approval.webhook_removed',
      actor: ctx.actor,
      subject: id,
      details: { webhook_id: id },
      createdAt: ctx.now.toISOString(),
    });
  });
}

export async function enqueueDeliveries(
  db: Db,
  rows: { webhookId: string; event: string; approvalId: string; body: string }[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  const nowIso = now.toISOString();
  await db
    .insertInto('approval_webhook_deliveries')
    .values(
      rows.map((r) => ({
        webhook_id: r.webhookId,
        event: r.event,
        approval_id: r.approvalId,
        body: r.body,
        status: 'pending',
        attempts: 0,
        last_status: null,
        last_error: null,
        created_at: nowIso,
        next_attempt_at: nowIso,
        delivered_at: null,
      })),
    )
    .execute();
}

/** Deliveries due now, oldest first, with their receiver's URL and secret. */
export async function dueDeliveries(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('approval_webhook_deliveries')
    .innerJoin('approval_webhooks', 'approval_webhooks.id', 'approval_webhook_deliveries.webhook_id')
    .selectAll('approval_webhook_deliveries')
    .select(['approval_webhooks.url', 'approval_webhooks.secret'])
    .where('approval_webhook_deliveries.status', '=', 'pending')
    .where('approval_webhook_deliveries.next_attempt_at', '<=', now.toISOString())
    .orderBy('approval_webhook_deliveries.id')
    .limit(limit)
    .execute();
}

/** When the next pending delivery is due, if any. */
export async function nextDueAt(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('approval_webhook_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('next'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return (row?.next as string | null | undefined) ?? undefined;
}

/**
 * Takes a due delivery for one attempt: moves its next attempt to `leaseUntil` unless another
 * control-plane process on the same database took it first (then false). A process that dies while
 * sending leaves it to be tried again once the lease is over.
 */
export async function claimDelivery(
  db: Db,
  id: number,
  dueAt: string | null,
  leaseUntil: string,
): Promise<boolean> {
  if (dueAt === null) return false;
  const res = await db
    .updateTable('approval_webhook_deliveries')
    .set({ next_attempt_at: leaseUntil })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', dueAt)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function recordAttempt(
  db: Db,
  id: number,
  result: {
    status: 'pending' | 'delivered' | 'failed';
    attempts: number;
    httpStatus: number | null;
    error: string | null;
    nextAttemptAt: string | null;
    deliveredAt: string | null;
  },
): Promise<void> {
  await db
    .updateTable('approval_webhook_deliveries')
    .set({
      status: result.status,
      attempts: result.attempts,
      last_status: result.httpStatus,
      last_error: result.error,
      next_attempt_at: result.nextAttemptAt,
      delivered_at: result.deliveredAt,
    })
    .where('id', '=', id)
    .execute();
}

export async function listDeliveries(
  db: Db,
  opts: { webhookId?: string | undefined; approvalId?: string | undefined; limit: number },
): Promise<DeliveryRow[]> {
  let q = db.selectFrom('approval_webhook_deliveries').selectAll();
  if (opts.webhookId) q = q.where('webhook_id', '=', opts.webhookId);
  if (opts.approvalId) q = q.where('approval_id', '=', opts.approvalId);
  return q.orderBy('id', 'desc').limit(opts.limit).execute();
}
