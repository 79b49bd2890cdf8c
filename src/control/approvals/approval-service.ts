// The control plane's approvals: one service that every way in goes through (a gateway holding a
// request, SDK mode's pending_approval, the API and CLI deciding, the kill switch), so each change is
// stored with its audit event, then told to live listeners (dashboards, `approvals watch`, the
// gateway streams that release held requests) and to webhook receivers, in that order. Listeners and
// receivers run after the commit and never hold a decision up. With several control-plane processes on
// one database, each change is also published on the change feed; the other processes read the row
// and tell their own listeners (not their webhooks: the process that made the change delivers those).
import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type ChangeFeed, localChangeFeed } from '../../storage/change-feed.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { ApprovalWire } from '../../wire/approvals.js';
import {
  type ApprovalLookup,
  type ApprovalRow,
  type ConsumeResult,
  cancelApproval,
  countPendingApprovals,
  type DecideInput,
  type DecideResult,
  decideApproval,
  denyPendingInScope,
  expireApprovals,
  getApproval,
  type NewApproval,
  requestApproval,
  useApproval,
} from './approval-store.js';
import { toApprovalWire } from './approval-wire.js';
import { type ReportedEntry, replaceReportedKillSwitch } from './reported-kill-switch-store.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/** How long an approval stays open by default (SPEC 7: one hour). */
export const DEFAULT_APPROVAL_EXPIRY_SECONDS = 3600;
const SWEEP_MS = 15_000;
/** How a kill switch denial's note starts (gateways answer such held requests kill_switch_active). */
export const KILL_SWITCH_NOTE = 'kill switch activated';

export interface ApprovalChange {
  /** requested: a new approval; decided: approved, denied, expired or cancelled; updated: joined. */
  type: 'approval.requested' | 'approval.decided' | 'approval.updated';
  approval: ApprovalWire;
  gatewayId: string | null;
  /** Denied by a kill switch (held requests answer kill_switch_active). */
  killSwitch: boolean;
}

export interface ApprovalServiceDeps {
  db: Kysely<LocalDatabase>;
  logger: Logger;
  now: () => Date;
  registry: Registry;
  version: string;
  expirySeconds?: number | undefined;
  /** Other control-plane processes on the same database (default: none). */
  feed?: ChangeFeed | undefined;
}

const CHANGE_TYPES = new Set<ApprovalChange['type']>([
  'approval.requested',
  'approval.decided',
  'approval.updated',
]);

/** What SDK mode and gateways pass to open (or join) an approval. */
export type ApprovalRequest = Omit<NewApproval, 'expiresAt'>;

export class ApprovalService {
  readonly #deps: ApprovalServiceDeps;
  readonly #events = new EventEmitter();
  readonly #webhooks: WebhookDispatcher;
  readonly #decided: Counter<'outcome'>;
  readonly #requested: Counter<'result'>;
  readonly #feed: ChangeFeed;
  readonly #stopFeed: (() => void)[] = [];
  #remote: Promise<void> = Promise.resolve();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(deps: ApprovalServiceDeps) {
    this.#deps = deps;
    this.#events.setMaxListeners(0);
    this.#feed = deps.feed ?? localChangeFeed;
    if (this.#feed.shared)
      this.#stopFeed.push(this.#feed.subscribe('approval', (d) => this.#remoteChange(d)));
    const m = approvalMetrics(deps.registry, deps.db);
    this.#decided = m.decided;
    this.#requested = m.requested;
    this.#webhooks = new WebhookDispatcher({
      db: deps.db,
      logger: deps.logger,
      now: deps.now,
      version: deps.version,
      deliveries: m.deliveries,
    });
  }

  get expirySeconds(): number {
    return this.#deps.expirySeconds ?? DEFAULT_APPROVAL_EXPIRY_SECONDS;
  }

  /** Every change, after it has committed. Returns the unsubscribe function. */
  subscribe(listener: (change: ApprovalChange) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  /**
   * Called when changes made by other processes may have been missed (the change feed came back
   * after a loss): listeners that serve a state re-read it.
   */
  onResync(listener: () => void): () => void {
    return this.#feed.onResync(listener);
  }

  /**
   * Opens an approval for a request or action, or finds what already answers it (a grant, an approved
   * identical request not yet used, a pending identical one to join). SDK mode calls this too.
   */
  async request(input: ApprovalRequest): Promise<ApprovalLookup> {
    const now = this.#deps.now();
    const expiresAt = new Date(now.getTime() + this.expirySeconds * 1000).toISOString();
    const found = await requestApproval(this.#deps.db, { ...input, expiresAt }, now);
    this.#requested.inc({
      result:
        found.kind === 'pending'
          ? found.joined
            ? 'joined'
            : 'opened'
          : found.kind === 'granted'
            ? 'granted'
            : 'retry',
    });
    if (found.kind === 'pending') {
      this.#emit(found.joined ? 'approval.updated' : 'approval.requested', found.approval, false);
    } else if (found.kind === 'approved') {
      this.#emit('approval.updated', found.approval, false);
    }
    return found;
  }

  async decide(id: string, input: DecideInput): Promise<DecideResult> {
    const result = await decideApproval(this.#deps.db, id, input);
    for (const row of [result.approval, ...result.alsoApproved]) this.#emit('approval.decided', row, false);
    return result;
  }

  /** Webhook receivers were added or removed. */
  webhooksChanged(): void {
    this.#webhooks.receiversChanged();
  }

  /** A gateway is about to release a request held for this approval: one use per approval (grants: any). */
  async use(id: string): Promise<ConsumeResult> {
    return useApproval(this.#deps.db, id, this.#deps.now());
  }

  async cancel(id: string, actor: string, note?: string): Promise<ApprovalWire> {
    const row = await cancelApproval(this.#deps.db, id, { actor, now: this.#deps.now(), note });
    this.#emit('approval.decided', row, false);
    return toApprovalWire(row);
  }

  /** The kill switch was activated: pending approvals in its scope are denied. Returns how many. */
  async killSwitchActivated(scope: string, actor: string, gatewayId?: string): Promise<number> {
    const denied = await denyPendingInScope(this.#deps.db, scope, {
      actor,
      now: this.#deps.now(),
      gatewayId,
      note: `${KILL_SWITCH_NOTE} (scope ${scope})`,
    });
    for (const row of denied) this.#emit('approval.decided', row, true);
    return denied.length;
  }

  /** A gateway reported the kill switch entries it holds locally (it may have set them while we were away). */
  async gatewayKillSwitchReported(
    gateway: { id: string; name: string },
    entries: ReportedEntry[],
  ): Promise<number> {
    const fresh = await replaceReportedKillSwitch(this.#deps.db, gateway, entries, this.#deps.now());
    let denied = 0;
    for (const e of fresh)
      denied += await this.killSwitchActivated(e.scope, `gateway:${gateway.name}`, gateway.id);
    return denied;
  }

  async expireDue(): Promise<number> {
    const expired = await expireApprovals(this.#deps.db, this.#deps.now());
    for (const row of expired) this.#emit('approval.decided', row, false);
    return expired.length;
  }

  /** Expiry sweeps and webhook deliveries left over from a previous run. */
  start(): void {
    const sweep = () =>
      void this.expireDue().catch((err: unknown) =>
        this.#deps.logger.error({ err }, 'approval expiry sweep failed'),
      );
    sweep();
    this.#sweeper = setInterval(sweep, SWEEP_MS);
    this.#sweeper.unref();
    this.#webhooks.kick();
  }

  async close(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const stop of this.#stopFeed.splice(0)) stop();
    this.#events.removeAllListeners();
    await this.#webhooks.close();
  }

  /**
   * A change made by another process: the row is read here (messages carry ids only), one message
   * after the other so that listeners see a request before its decision.
   */
  #remoteChange(d: Record<string, unknown>): void {
    const type = d.type as ApprovalChange['type'];
    if (typeof d.id !== 'string' || !CHANGE_TYPES.has(type)) return;
    const id = d.id;
    this.#remote = this.#remote
      .then(async () => {
        const row = await getApproval(this.#deps.db, id);
        if (row) this.#tell(type, toApprovalWire(row), row.gateway_id, d.kill_switch === true);
      })
      .catch((err: unknown) =>
        this.#deps.logger.warn({ err }, 'could not read an approval changed elsewhere'),
      );
  }

  #emit(type: ApprovalChange['type'], row: ApprovalRow, killSwitch: boolean): void {
    const approval = toApprovalWire(row);
    if (type === 'approval.decided') this.#decided.inc({ outcome: approval.status });
    this.#tell(type, approval, row.gateway_id, killSwitch);
    this.#feed.publish('approval', { id: row.id, type, kill_switch: killSwitch });
    if (type !== 'approval.updated') void this.#webhooks.publish(type, approval);
  }

  #tell(
    type: ApprovalChange['type'],
    approval: ApprovalWire,
    gatewayId: string | null,
    killSwitch: boolean,
  ): void {
    try {
      this.#events.emit('change', { type, approval, gatewayId, killSwitch } satisfies ApprovalChange);
    } catch (err) {
      this.#deps.logger.error({ err }, 'an approval listener failed');
    }
  }
}

function approvalMetrics(registry: Registry, db: Kysely<LocalDatabase>) {
  const registers = [registry];
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const pendingName = 'tameflare_approvals_pending';
  registry.removeSingleMetric(pendingName); // its collect() closes over this database
  new Gauge({
    name: pendingName,
    help: 'Approvals waiting for a decision',
    registers,
    async collect() {
      this.set(await countPendingApprovals(db).catch(() => 0));
    },
  });
  return {
    decided:
      existing<Counter<'outcome'>>('tameflare_approvals_decided_total') ??
      new Counter({
        name: 'tameflare_approvals_decided_total',
        help: 'Approvals that left pending, by outcome (approved, denied, expired, cancelled)',
        labelNames: ['outcome'],
        registers,
      }),
    requested:
      existing<Counter<'result'>>('tameflare_approvals_requests_total') ??
      new Counter({
        name: 'tameflare_approvals_requests_total',
        help: 'Requests that needed approval, by what met them (opened, joined, retry, granted)',
        labelNames: ['result'],
        registers,
      }),
    deliveries:
      existing<Counter<'result'>>('tameflare_approval_webhook_deliveries_total') ??
      new Counter({
        name: 'tameflare_approval_webhook_deliveries_total',
        help: 'Approval webhook delivery attempts, by result (delivered, retry, failed)',
        labelNames: ['result'],
        registers,
      }),
  };
}
