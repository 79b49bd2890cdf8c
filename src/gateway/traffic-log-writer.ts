// The traffic log and the outbox on the hot path. Requests never wait for SQLite: they mutate an
// in-memory entry and mark it dirty; a timer (~50 ms) or a full batch (~500) writes every dirty entry
// in one transaction with prepared statements (kysely re-prepares each query: 10x slower here).
// An entry that is created and completed inside one window becomes a single INSERT; a long request
// (a stream) is inserted with decision NULL first and updated when it completes, which is what the
// seed's silent-drop query relies on. Outbox events are written in the same transaction as the row
// completion they describe, so the control plane never sees an event for a row that was lost.
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

export interface TrafficEntry {
  id: number | undefined; // rowid once written
  requestId: string;
  agent: string | null;
  connector: string | null;
  action: string | null;
  method: string;
  host: string;
  path: string; // never with query values
  decision: string | null;
  reason: string | null;
  status: number | null;
  latencyMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  error: string | null;
  mode: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface OutboxRow {
  id: number;
  event_type: string;
  payload: string;
  created_at: string;
}

export interface TrafficLogWriterOptions {
  logger: Logger;
  flushIntervalMs?: number;
  maxBatch?: number;
  onFlushError?: (err: unknown) => void;
}

interface PendingEvent {
  type: string;
  payload: string;
  createdAt: string;
}

// Entries kept while SQLite is failing (disk full, locked): beyond this the oldest are dropped.
const MAX_QUEUED = 100_000;

export class TrafficLogWriter {
  readonly #logger: Logger;
  readonly #interval: number;
  readonly #maxBatch: number;
  readonly #onFlushError: ((err: unknown) => void) | undefined;
  readonly #insert: Database.Statement;
  readonly #update: Database.Statement;
  readonly #insertEvent: Database.Statement;
  readonly #selectEvents: Database.Statement;
  readonly #deleteEvents: Database.Statement;
  readonly #writeBatch: (entries: TrafficEntry[], events: PendingEvent[]) => void;
  #dirty = new Set<TrafficEntry>();
  #events: PendingEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;
  readonly #appendListeners: (() => void)[] = [];

  constructor(raw: Database.Database, opts: TrafficLogWriterOptions) {
    this.#logger = opts.logger;
    this.#interval = opts.flushIntervalMs ?? 50;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#onFlushError = opts.onFlushError;
    this.#insert = raw.prepare(
      `INSERT INTO traffic_log (request_id, agent, connector, action, method, host, path, decision, reason,
         status, latency_ms, bytes_in, bytes_out, error, mode, created_at, completed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#update = raw.prepare(
      `UPDATE traffic_log SET agent = ?, connector = ?, action = ?, decision = ?, reason = ?, status = ?,
         latency_ms = ?, bytes_in = ?, bytes_out = ?, error = ?, mode = ?, completed_at = ? WHERE id = ?`,
    );
    this.#insertEvent = raw.prepare('INSERT INTO outbox (event_type, payload, created_at) VALUES (?, ?, ?)');
    this.#selectEvents = raw.prepare(
      'SELECT id, event_type, payload, created_at FROM outbox ORDER BY id LIMIT ?',
    );
    this.#deleteEvents = raw.prepare('DELETE FROM outbox WHERE id <= ?');
    this.#writeBatch = raw.transaction((entries: TrafficEntry[], events: PendingEvent[]) => {
      for (const e of entries) {
        if (e.id === undefined) {
          const result = this.#insert.run(
            e.requestId,
            e.agent,
            e.connector,
            e.action,
            e.method,
            e.host,
            e.path,
            e.decision,
            e.reason,
            e.status,
            e.latencyMs,
            e.bytesIn,
            e.bytesOut,
            e.error,
            e.mode,
            e.createdAt,
            e.completedAt,
          );
          e.id = Number(result.lastInsertRowid);
        } else {
          this.#update.run(
            e.agent,
            e.connector,
            e.action,
            e.decision,
            e.reason,
            e.status,
            e.latencyMs,
            e.bytesIn,
            e.bytesOut,
            e.error,
            e.mode,
            e.completedAt,
            e.id,
          );
        }
      }
      for (const ev of events) this.#insertEvent.run(ev.type, ev.payload, ev.createdAt);
    });
  }

  /** Starts a row (decision NULL). The caller mutates the returned entry and calls `touch`. */
  begin(
    fields: Pick<TrafficEntry, 'requestId' | 'method' | 'host' | 'path' | 'createdAt'> &
      Partial<TrafficEntry>,
  ) {
    const entry: TrafficEntry = {
      id: undefined,
      agent: null,
      connector: null,
      action: null,
      decision: null,
      reason: null,
      status: null,
      latencyMs: null,
      bytesIn: null,
      bytesOut: null,
      error: null,
      mode: null,
      completedAt: null,
      ...fields,
    };
    this.touch(entry);
    return entry;
  }

  /** Marks an entry as changed; it is written with the next batch. */
  touch(entry: TrafficEntry): void {
    if (this.#closed) return;
    this.#dirty.add(entry);
    this.#schedule();
  }

  /** Marks an entry as changed and queues an outbox event written in the same transaction. */
  touchWithEvent(entry: TrafficEntry, type: string, payload: unknown): void {
    if (this.#closed) return;
    this.#dirty.add(entry);
    this.appendEvent(type, payload);
  }

  /** Queues an outbox event that belongs to no traffic row (kill switch activated locally...). */
  appendEvent(type: string, payload: unknown): void {
    if (this.#closed) return;
    this.#events.push({ type, payload: JSON.stringify(payload), createdAt: new Date().toISOString() });
    this.#schedule();
  }

  /** Writes everything queued, synchronously. Safe to call at any time. */
  flush(): void {
    this.#clearTimers();
    if (this.#dirty.size === 0 && this.#events.length === 0) return;
    const entries = [...this.#dirty];
    const events = this.#events;
    this.#dirty = new Set();
    this.#events = [];
    const fresh = entries.filter((e) => e.id === undefined);
    try {
      this.#writeBatch(entries, events);
    } catch (err) {
      // The transaction rolled back: rowids handed out inside it no longer exist.
      for (const e of fresh) e.id = undefined;
      this.#logger.error({ err, rows: entries.length, events: events.length }, 'traffic log flush failed');
      this.#onFlushError?.(err);
      this.#requeue(entries, events);
      return;
    }
    if (events.length > 0) {
      for (const listener of this.#appendListeners) {
        try {
          listener();
        } catch (err) {
          this.#logger.error({ err }, 'outbox listener failed');
        }
      }
    }
  }

  close(): void {
    this.flush();
    this.#closed = true;
    this.#clearTimers();
  }

  get queued(): number {
    return this.#dirty.size + this.#events.length;
  }

  readonly outbox = {
    pending: (limit: number): OutboxRow[] =>
      this.#selectEvents.all(Math.max(1, Math.floor(limit))) as OutboxRow[],
    acknowledge: (uptoId: number): void => {
      this.#deleteEvents.run(uptoId);
    },
    onAppend: (cb: () => void): void => {
      this.#appendListeners.push(cb);
    },
  };

  #schedule(): void {
    if (this.#dirty.size + this.#events.length >= this.#maxBatch) {
      // Full batch: write soon, but after the current request's synchronous work.
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.flush();
      });
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#interval);
    this.#timer.unref();
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #requeue(entries: TrafficEntry[], events: PendingEvent[]): void {
    for (const e of entries) if (!this.#dirty.has(e)) this.#dirty.add(e);
    this.#events = events.concat(this.#events);
    let excess = this.#dirty.size + this.#events.length - MAX_QUEUED;
    if (excess > 0) this.#logger.error({ dropped: excess }, 'traffic log backlog full; dropping oldest rows');
    for (const e of this.#dirty) {
      if (excess-- <= 0) break;
      this.#dirty.delete(e);
    }
    if (excess > 0) this.#events.splice(0, excess);
    // Retry later rather than spin on a failing disk.
    if (!this.#timer && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, 1000);
      this.#timer.unref();
    }
  }
}
