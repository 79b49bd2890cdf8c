// One request's bookkeeping: its traffic_log row from receipt to completion, the outbox event that
// describes it, and its metrics. Written once per request, whatever path it takes (refused, held,
// forwarded, cut), so every row ends complete.
import { redactQuery } from '../../connectors/credential.js';
import type { Outcome } from '../../decide/outcome.js';
import type { GatewayMetrics } from '../api/gateway-metrics.js';
import { isoTime } from '../traffic-log/iso-time.js';
import { loggableParams } from '../traffic-log/loggable-params.js';
import type { TrafficEntry, TrafficLogWriter } from '../traffic-log/traffic-log-writer.js';

export interface RecordDeps {
  writer: TrafficLogWriter;
  metrics: GatewayMetrics;
  now: () => Date;
}

export interface Completion {
  status: number | null;
  error?: string | undefined;
  bytesIn?: number | undefined;
  bytesOut?: number | undefined;
}

export class RequestRecord {
  readonly requestId: string;
  readonly entry: TrafficEntry;
  readonly #deps: RecordDeps;
  readonly #started: number;
  #open = false;
  #done = false;
  #silent = false;
  /** The action's parameters (from the connector's mapping); the row keeps them redacted and bounded. */
  set params(params: Record<string, unknown>) {
    this.entry.params = loggableParams(params);
  }

  code: string | undefined;
  eventType = 'action.denied';

  constructor(
    deps: RecordDeps,
    fields: {
      requestId: string;
      method: string;
      host: string;
      path: string;
      agent?: string | null;
      /** When the request arrived, if the caller has read the clock already. */
      at?: Date | undefined;
    },
  ) {
    this.#deps = deps;
    this.requestId = fields.requestId;
    this.#started = performance.now();
    this.entry = deps.writer.newEntry({
      requestId: fields.requestId,
      agent: fields.agent ?? null,
      method: fields.method,
      host: fields.host,
      path: fields.path,
      createdAt: isoTime((fields.at ?? deps.now()).getTime()),
    });
  }

  /**
   * Not a traffic row at all: the 407 challenge to a client that sent no proxy credentials yet (git
   * and other libcurl clients probe first, then retry with them). Counted in metrics only.
   */
  silence(): this {
    this.#silent = true;
    return this;
  }

  /** Writes the row with decision NULL (step 2 of the pipeline). */
  open(): this {
    if (!this.#open && !this.#done && !this.#silent) {
      this.#open = true;
      this.#deps.writer.touch(this.entry);
    }
    return this;
  }

  /**
   * Strict durability: resolves once the row, as it is now (arrival and decision), is committed, so
   * that no request reaches an upstream without a row. False when the traffic log cannot be written
   * in time: the caller refuses the request instead. Batched durability: true at once.
   */
  committed(): Promise<boolean> | true {
    if (this.#deps.writer.durability !== 'strict' || this.#silent) return true;
    this.#open = true;
    return this.#deps.writer.durable(this.entry);
  }

  get completed(): boolean {
    return this.#done;
  }

  /** Records a refusal made before any decision (unknown agent, no connector, bad request...). */
  refused(code: string, detail: string): void {
    this.entry.decision = 'deny';
    this.entry.reason = `${code}: ${detail}`;
    this.code = code;
    this.eventType = 'action.denied';
  }

  /** Records what the decision led to (step 6); touches the row so a long request shows it before completing. */
  decided(next: Outcome): void {
    this.entry.mode = next.mode;
    this.code = next.code;
    switch (next.kind) {
      case 'refuse':
        this.entry.decision = 'deny';
        // Like `refused`, a refusal the decision did not make names its code.
        this.entry.reason = next.rateLimited ? `${next.code}: ${next.detail}` : next.detail;
        this.eventType = 'action.denied';
        break;
      case 'monitor-forward':
        this.entry.decision = 'allow';
        this.entry.reason = `would ${next.wouldHave === 'deny' ? 'deny' : 'require approval'}: ${next.detail}`;
        this.eventType = 'action.would_deny';
        break;
      case 'hold':
        this.entry.decision = 'require_approval';
        this.entry.reason = next.detail;
        this.eventType = 'action.pending_approval';
        break;
      case 'forward':
        this.entry.decision = 'allow';
        this.entry.reason = next.detail;
        this.eventType = 'action.allowed';
        break;
    }
    if (this.#open) this.#deps.writer.touch(this.entry);
  }

  /** Completes the row and queues its outbox event in the same batch. Idempotent. */
  finish(c: Completion): void {
    if (this.#done) return;
    this.#done = true;
    const latency = performance.now() - this.#started;
    const e = this.entry;
    e.status = c.status;
    e.error = c.error ?? null;
    e.bytesIn = c.bytesIn ?? null;
    e.bytesOut = c.bytesOut ?? null;
    e.latencyMs = Math.round(latency * 100) / 100;
    e.completedAt = isoTime(this.#deps.now().getTime());
    if (this.#silent) {
      this.#deps.metrics.observeRequest('challenge', this.code ?? 'none', latency / 1000);
      return;
    }
    this.#deps.writer.complete(e, this.eventType, this.code ?? null);
    this.#deps.metrics.observeRequest(e.decision ?? 'none', this.code ?? 'none', latency / 1000);
  }
}

/** The path as stored in the traffic log: parameter names only, never values. */
export function loggablePath(path: string, query: URLSearchParams): string {
  const names = redactQuery(query);
  return names ? `${path}?${names}` : path;
}
