// Sends approval webhooks. A decision never waits for a receiver: events are written as delivery rows
// after the decision has committed, and a background loop sends what is due, at most a few at a time,
// each with a timeout. A failure is retried with growing delays (1 s, 5 s, 30 s, 2 min, 10 min, 30 min)
// and then marked failed; every attempt is recorded on its row. Pending rows survive a restart.
//
// Threat model: receivers are configured by admins; what they get is the approval's summary (no
// credentials, parameters already redacted), signed with the receiver's own secret so it can tell
// our events from forged ones. Redirects are not followed (a receiver cannot bounce us elsewhere).
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { type ApprovalEventType, webhookBody, webhookHeaders } from '../../approvals/webhook-payload.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { ApprovalWire } from '../../wire/approvals.js';
import {
  claimDelivery,
  dueDeliveries,
  enqueueDeliveries,
  listWebhooks,
  nextDueAt,
  recordAttempt,
} from './webhook-store.js';

export const RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000];
const TIMEOUT_MS = 5_000;
const CONCURRENCY = 4;

export interface WebhookDispatcherDeps {
  db: Kysely<LocalDatabase>;
  logger: Logger;
  now: () => Date;
  version: string;
  deliveries: Counter<'result'>;
}

export class WebhookDispatcher {
  readonly #deps: WebhookDispatcherDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #inFlight = new Set<Promise<void>>();
  /** The enabled receivers, read once and kept until they change (every approval would ask). */
  #hooks: Awaited<ReturnType<typeof listWebhooks>> | undefined;

  constructor(deps: WebhookDispatcherDeps) {
    this.#deps = deps;
  }

  /** Queues one event for every enabled receiver, then sends in the background. Never throws. */
  async publish(event: ApprovalEventType, approval: ApprovalWire): Promise<void> {
    try {
      this.#hooks ??= await listWebhooks(this.#deps.db, { enabledOnly: true });
      const hooks = this.#hooks;
      if (hooks.length === 0) return;
      const at = this.#deps.now().toISOString();
      await enqueueDeliveries(
        this.#deps.db,
        hooks.map((h) => ({
          webhookId: h.id,
          event,
          approvalId: approval.id,
          body: webhookBody(h.format === 'slack' ? 'slack' : 'json', event, approval, at),
        })),
        this.#deps.now(),
      );
      this.kick();
    } catch (err) {
      this.#deps.logger.error({ err }, 'could not queue approval webhooks');
    }
  }

  /** Receivers were added or removed. */
  receiversChanged(): void {
    this.#hooks = undefined;
  }

  /** Sends what is due now (and schedules the next wake-up). */
  kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'approval webhook loop failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        } else void this.#schedule();
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    await Promise.allSettled([...this.#inFlight]);
  }

  async #drain(): Promise<void> {
    // A row whose attempt could not be recorded stays due: never try it twice in one pass.
    const tried = new Set<number>();
    for (;;) {
      if (this.#closed) return;
      const due = (await dueDeliveries(this.#deps.db, this.#deps.now(), CONCURRENCY * 4)).filter(
        (d) => !tried.has(d.id),
      );
      if (due.length === 0) return;
      for (const d of due) {
        tried.add(d.id);
        while (this.#inFlight.size >= CONCURRENCY) await Promise.race(this.#inFlight);
        const p = this.#send(d).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      }
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  async #schedule(): Promise<void> {
    if (this.#closed) return;
    const next = await nextDueAt(this.#deps.db).catch(() => undefined);
    if (next === undefined || this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    const wait = Math.max(50, Math.min(60_000, Date.parse(next) - this.#deps.now().getTime()));
    this.#timer = setTimeout(() => this.kick(), wait);
    this.#timer.unref();
  }

  async #send(d: Awaited<ReturnType<typeof dueDeliveries>>[number]): Promise<void> {
    const attempts = d.attempts + 1;
    const now = this.#deps.now();
    // Several control-plane processes share the queue: each attempt is made by one of them.
    const lease = new Date(now.getTime() + TIMEOUT_MS + 30_000).toISOString();
    if (!(await claimDelivery(this.#deps.db, d.id, d.next_attempt_at, lease))) return;
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: webhookHeaders(d.secret, d.body, {
          event: d.event,
          deliveryId: d.id,
          nowSeconds: now.getTime() / 1000,
          version: this.#deps.version,
        }),
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      httpStatus = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      error =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${TIMEOUT_MS} ms`
          : (cause ?? (err as Error).message);
    }
    const delivered = error === null;
    const delay = RETRY_DELAYS_MS[attempts - 1];
    const failed = !delivered && delay === undefined;
    const finishedAt = this.#deps.now();
    await recordAttempt(this.#deps.db, d.id, {
      status: delivered ? 'delivered' : failed ? 'failed' : 'pending',
      attempts,
      httpStatus,
      error,
      nextAttemptAt: delivered || failed ? null : new Date(finishedAt.getTime() + delay!).toISOString(),
      deliveredAt: delivered ? finishedAt.toISOString() : null,
    });
    this.#deps.deliveries.inc({ result: delivered ? 'delivered' : failed ? 'failed' : 'retry' });
    if (!delivered) {
      this.#deps.logger.warn(
        { delivery: d.id, webhook: d.webhook_id, attempts, error, final: failed },
        'approval webhook delivery failed',
      );
    }
  }
}
