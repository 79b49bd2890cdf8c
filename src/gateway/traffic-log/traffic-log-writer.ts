// Every write the gateway makes while it serves goes through here, to one worker thread that owns a
// second connection to gateway.db (traffic-log-worker.ts): traffic rows, outbox events, outbox
// acknowledgements and the persistence of configuration changes. The event loop never runs a
// statement that can wait for a lock: a lock held by another process delays the writes (retried
// with backoff, nothing dropped, /health says "degraded"), never the requests.
//
// Requests mutate an in-memory entry and mark it dirty; every ~50 ms (or ~500 entries) the dirty
// entries go over in one message as positional arrays, and the thread writes them in one
// transaction. An entry created and completed within one window is a single INSERT; a long request
// is inserted with its arrival state first and updated when it completes. A completed entry's
// outbox event is built on the thread from the row (nothing is serialised twice on the event loop)
// and committed with it. In `strict` durability the pipeline waits, before dialling the upstream,
// until the arrival row is committed: the flush then happens on the next turn of the loop, and all
// requests waiting at that moment share one commit.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { OutboxEvent } from '../../sync/outbox-event.js';
import { trafficLogWorkerSource } from './traffic-log-worker.js';

export type TrafficLogDurability = 'strict' | 'batched';

export interface TrafficEntry {
  readonly seq: number; // identifies the row to the writer (insert once, then update)
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
  /** The action's parameters, bounded and redacted (see request-record.ts). */
  params: Record<string, unknown> | null;
  /**
   * Set on completion: the outbox event that describes the row (compact: who, what, the decision
   * and its code, with a reference to the row; the reasons are the row's).
   */
  event: [type: string, code: string | null] | null;
}

/** An outbox event as the sync link ships it. */
export type OutboxRow = OutboxEvent;

export interface TrafficLogWriterOptions {
  /** The database file; the writer opens its own connection to it in a worker thread. */
  path: string;
  logger: Logger;
  durability?: TrafficLogDurability | undefined;
  flushIntervalMs?: number;
  maxBatch?: number;
  /** How long a strict-mode request waits for its arrival row before it is refused. */
  strictWaitMs?: number;
}

export interface WriterHealth {
  /** `degraded` from a failed commit (a lock held elsewhere, a full disk) until the next one succeeds. */
  db: 'ok' | 'degraded';
  error: string | null;
  degradedSince: string | null;
  queued: number;
  /** Rows and events given up (backlog overflow while writes failed, or unwritten at close): the loss. */
  dropped: number;
}

/** One retention chunk run on the writer thread (see src/daemon/upkeep/traffic-retention.ts). */
export interface PruneChunkResult {
  deleted: number;
  freedPages: number;
  /** Free pages left in the file after the chunk. */
  freelist: number;
  ms: number;
  error: string | null;
}

const WRITER_CLOSED: PruneChunkResult = {
  deleted: 0,
  freedPages: 0,
  freelist: 0,
  ms: 0,
  error: 'writer closed',
};

type WorkerMessage =
  | { t: 'written'; upTo: number; rows: number; events: number }
  | { t: 'failed'; message: string; upTo: number; rows: number; events: number }
  | { t: 'busy'; message: string }
  | { t: 'read'; n: number; rows: OutboxRow[] }
  | ({ t: 'pruned'; n: number } & PruneChunkResult)
  | { t: 'recovered'; rows: number }
  | { t: 'closed' };

type EntryFields = Pick<TrafficEntry, 'requestId' | 'method' | 'host' | 'path' | 'createdAt'> &
  Partial<Omit<TrafficEntry, 'seq'>>;

type Op = [sql: string, params: unknown[], jsonParams?: number[]];

interface Waiter {
  batch: number;
  deadline: number;
  resolve(committed: boolean): void;
}

export class TrafficLogWriter {
  readonly durability: TrafficLogDurability;
  readonly #logger: Logger;
  readonly #interval: number;
  readonly #maxBatch: number;
  readonly #strictWaitMs: number;
  readonly #path: string;
  #worker: Worker | undefined;
  #recover = false;
  #dirty = new Set<TrafficEntry>();
  /** Outbox events in order: an entry (its completion event) or a standalone event. */
  #events: (TrafficEntry | [string, unknown, string])[] = [];
  #ops: Op[] = [];
  #inFlight = 0;
  #sent = 0; // batches handed to the thread
  #settled = 0; // batches written (or given up)
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #appendListeners: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  #waiters: Waiter[] = [];
  #waiterSweep: NodeJS.Timeout | undefined;
  #reads = new Map<number, (rows: OutboxRow[]) => void>();
  #prunes = new Map<number, (result: PruneChunkResult) => void>();
  #nextRead = 1;
  #nextSeq = 1;
  #degradedSince: Date | undefined;
  #lastError: string | null = null;
  #dropped = 0;

  constructor(opts: TrafficLogWriterOptions) {
    this.#logger = opts.logger;
    this.durability = opts.durability ?? 'batched';
    this.#interval = opts.flushIntervalMs ?? 50;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#strictWaitMs = opts.strictWaitMs ?? 5_000;
    this.#path = opts.path;
  }

  /**
   * Starts the writer thread. With `recoverInterrupted`, rows an earlier run left open (it was
   * killed mid-request) are closed first, as `error = 'interrupted'`, each with an
   * `action.interrupted` outbox event: only rows of this run are open after that.
   */
  start(opts: { recoverInterrupted: boolean }): void {
    if (this.#worker) return;
    this.#recover = opts.recoverInterrupted;
    this.#ensureWorker();
  }

  // Started at the latest with the first write, so building a gateway that never serves starts no thread.
  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    // The worker's code is a self-contained function run from source (eval), so the same code works
    // from TypeScript under the test runner and from the build; better-sqlite3 is resolved here.
    const worker = new Worker(trafficLogWorkerSource, {
      eval: true,
      workerData: {
        path: this.#path,
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        recover: this.#recover,
      },
    });
    worker.unref(); // never what keeps a process alive; close() drains it
    worker.on('message', (msg: WorkerMessage) => this.#onWorkerMessage(msg));
    worker.on('error', (err) => this.#logger.error({ err }, 'traffic log writer thread failed'));
    worker.once('exit', () => this.#onWorkerExit());
    this.#worker = worker;
    return worker;
  }

  /** A new row, not written until the first `touch` (decision NULL). The caller mutates it and touches it. */
  newEntry(fields: EntryFields): TrafficEntry {
    // Every field in one literal: one shape for every entry, built in one go (a spread copies the
    // fields one by one in the runtime).
    return {
      seq: this.#nextSeq++,
      requestId: fields.requestId,
      agent: fields.agent ?? null,
      connector: fields.connector ?? null,
      action: fields.action ?? null,
      method: fields.method,
      host: fields.host,
      path: fields.path,
      decision: fields.decision ?? null,
      reason: fields.reason ?? null,
      status: fields.status ?? null,
      latencyMs: fields.latencyMs ?? null,
      bytesIn: fields.bytesIn ?? null,
      bytesOut: fields.bytesOut ?? null,
      error: fields.error ?? null,
      mode: fields.mode ?? null,
      createdAt: fields.createdAt,
      completedAt: fields.completedAt ?? null,
      params: fields.params ?? null,
      event: fields.event ?? null,
    };
  }

  /** Marks an entry as changed; it is written with the next batch. */
  touch(entry: TrafficEntry): void {
    if (this.#closed) return;
    this.#dirty.add(entry);
    this.#schedule();
  }

  /** Marks a completed entry as changed and queues its outbox event, committed with it. */
  complete(entry: TrafficEntry, type: string, code: string | null): void {
    if (this.#closed) return;
    entry.event = [type, code];
    this.#dirty.add(entry);
    this.#events.push(entry);
    this.#schedule();
  }

  /** Queues an outbox event that belongs to no traffic row (kill switch activated locally...). */
  appendEvent(type: string, payload: unknown, createdAt = new Date().toISOString()): void {
    if (this.#closed) return;
    // Serialised by the writer thread; payloads must therefore be plain data.
    this.#events.push([type, payload, createdAt]);
    this.#schedule();
  }

  /**
   * Persists a change the gateway has already made in memory (configuration, kill switch, vault):
   * written in order with the next batch and retried until it commits. `jsonParams`: indexes of
   * parameters the thread serialises as JSON (so large values are not serialised on the event loop).
   */
  persist(sql: string, params: unknown[], jsonParams?: number[]): void {
    if (this.#closed) return;
    this.#ops.push(jsonParams ? [sql, params, jsonParams] : [sql, params]);
    this.#schedule();
  }

  /**
   * Resolves true once the entry, as it is now, is committed; false if that takes longer than the
   * strict wait (the database is locked or failing). The flush happens on the next turn of the loop.
   */
  durable(entry: TrafficEntry): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    this.#dirty.add(entry);
    const batch = this.#sent + 1; // the next flush carries it
    this.#immediate ??= setImmediate(() => {
      this.#immediate = undefined;
      this.flush();
    });
    return new Promise((resolve) => {
      this.#waiters.push({ batch, deadline: Date.now() + this.#strictWaitMs, resolve });
      this.#waiterSweep ??= setInterval(() => this.#sweepWaiters(), 100);
    });
  }

  /** Hands everything queued to the writer thread now. */
  flush(): void {
    this.#clearTimers();
    if (this.#dirty.size === 0 && this.#events.length === 0 && this.#ops.length === 0) return;
    const rows: unknown[][] = [];
    const index = new Map<TrafficEntry, number>();
    for (const e of this.#dirty) {
      index.set(e, rows.length);
      rows.push([
        e.seq,
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
        e.params,
        e.event,
      ]);
    }
    const events = this.#events.map((e) => (Array.isArray(e) ? e : index.get(e)!));
    const ops = this.#ops;
    this.#dirty = new Set();
    this.#events = [];
    this.#ops = [];
    this.#inFlight += rows.length + events.length;
    const n = ++this.#sent;
    const worker = this.#ensureWorker();
    try {
      worker.postMessage({ t: 'batch', n, rows, events, ops });
    } catch {
      // Something in a payload could not be cloned: send standalone payloads as JSON text instead.
      const serialised = events.map((e) =>
        typeof e === 'number' ? e : [e[0], typeof e[1] === 'string' ? e[1] : JSON.stringify(e[1]), e[2]],
      );
      worker.postMessage({ t: 'batch', n, rows, events: serialised, ops });
    }
  }

  /**
   * Hands everything queued to the writer thread and resolves once it has been written (or has
   * failed and been logged); the writer stays open.
   */
  drain(): Promise<void> {
    this.flush();
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Flushes, waits until the writer thread has written everything, and stops it. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.flush();
      this.#closed = true;
      this.#clearTimers();
      const worker = this.#worker;
      if (!worker) return;
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (msg: WorkerMessage) => {
          if (msg.t === 'closed') resolve();
        });
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ t: 'close' });
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([closed, timeout]);
      await worker.terminate();
    })();
    return this.#closing;
  }

  /** Rows, events and changes not yet committed (queued here or being written). */
  get queued(): number {
    return this.#dirty.size + this.#events.length + this.#ops.length + this.#inFlight;
  }

  health(): WriterHealth {
    return {
      db: this.#degradedSince ? 'degraded' : 'ok',
      error: this.#degradedSince ? this.#lastError : null,
      degradedSince: this.#degradedSince?.toISOString() ?? null,
      queued: this.queued,
      dropped: this.#dropped,
    };
  }

  /**
   * Retention: deletes up to `limit` completed rows created before `cutoff` (oldest first) and gives
   * back up to `pages` free pages, on the writer thread between its batches (never on the event loop).
   */
  pruneChunk(cutoff: string, limit: number, pages: number): Promise<PruneChunkResult> {
    if (this.#closed) return Promise.resolve(WRITER_CLOSED);
    const n = this.#nextRead++;
    const worker = this.#ensureWorker();
    return new Promise((resolve) => {
      this.#prunes.set(n, resolve);
      worker.postMessage({ t: 'prune', n, cutoff, limit, pages });
    });
  }

  /** The outbox as the sync module ships it: read and acknowledged on the writer thread. */
  readonly outbox = {
    pending: (limit: number): Promise<OutboxRow[]> => {
      if (this.#closed) return Promise.resolve([]);
      const n = this.#nextRead++;
      const worker = this.#ensureWorker();
      return new Promise((resolve) => {
        this.#reads.set(n, resolve);
        worker.postMessage({ t: 'read', n, limit: Math.max(1, Math.floor(limit)) });
      });
    },
    /** Never read again from now on; deleted with the next commit. */
    acknowledge: (uptoId: number): void => {
      if (this.#closed) return;
      this.#ensureWorker().postMessage({ t: 'ack', upTo: uptoId });
    },
    onAppend: (cb: () => void): void => {
      this.#appendListeners.push(cb);
    },
  };

  #onWorkerMessage(msg: WorkerMessage): void {
    switch (msg.t) {
      case 'closed':
        return;
      case 'read': {
        const resolve = this.#reads.get(msg.n);
        this.#reads.delete(msg.n);
        resolve?.(msg.rows);
        return;
      }
      case 'pruned': {
        const resolve = this.#prunes.get(msg.n);
        this.#prunes.delete(msg.n);
        const { deleted, freedPages, freelist, ms, error } = msg;
        resolve?.({ deleted, freedPages, freelist, ms, error });
        return;
      }
      case 'busy':
        if (!this.#degradedSince) {
          this.#degradedSince = new Date();
          this.#logger.error({ error: msg.message }, 'gateway.db write failed; retrying (requests go on)');
        }
        this.#lastError = msg.message;
        return;
      case 'recovered':
        if (msg.rows > 0)
          this.#logger.warn(
            { rows: msg.rows },
            'closed traffic rows an earlier run left open as interrupted',
          );
        this.#notifyAppend();
        return;
      case 'failed':
        this.#dropped += msg.rows + msg.events;
        this.#logger.error(
          { error: msg.message, rows: msg.rows, events: msg.events },
          'traffic log write failed',
        );
        this.#settle(msg.upTo, msg.rows + msg.events, false);
        return;
      case 'written':
        if (this.#degradedSince) {
          this.#logger.info(
            { since: this.#degradedSince.toISOString() },
            'gateway.db writes succeed again; the backlog is written',
          );
          this.#degradedSince = undefined;
        }
        this.#settle(msg.upTo, msg.rows + msg.events, true);
        if (msg.events > 0) this.#notifyAppend();
        return;
    }
  }

  #settle(upTo: number, count: number, committed: boolean): void {
    this.#inFlight -= count;
    if (upTo > this.#settled) this.#settled = upTo;
    if (this.#inFlight <= 0) {
      this.#inFlight = 0;
      this.#releaseDrainWaiters();
    }
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.batch <= upTo) w.resolve(committed);
      else still.push(w);
    }
    this.#waiters = still;
    this.#stopSweepIfIdle();
  }

  #sweepWaiters(): void {
    const now = Date.now();
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.deadline <= now) w.resolve(false);
      else still.push(w);
    }
    this.#waiters = still;
    this.#stopSweepIfIdle();
  }

  #stopSweepIfIdle(): void {
    if (this.#waiters.length > 0 || !this.#waiterSweep) return;
    clearInterval(this.#waiterSweep);
    this.#waiterSweep = undefined;
  }

  #notifyAppend(): void {
    for (const listener of this.#appendListeners) {
      try {
        listener();
      } catch (err) {
        this.#logger.error({ err }, 'outbox listener failed');
      }
    }
  }

  #onWorkerExit(): void {
    // Nothing more will be written or read.
    this.#releaseDrainWaiters();
    for (const w of this.#waiters) w.resolve(false);
    this.#waiters = [];
    this.#stopSweepIfIdle();
    for (const resolve of this.#reads.values()) resolve([]);
    this.#reads.clear();
    for (const resolve of this.#prunes.values()) resolve(WRITER_CLOSED);
    this.#prunes.clear();
  }

  #releaseDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #schedule(): void {
    if (this.#dirty.size + this.#events.length >= this.#maxBatch) {
      // A full batch goes soon, but after the current request's synchronous work.
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
}
