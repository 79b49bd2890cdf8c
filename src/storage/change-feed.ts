// What one control-plane process tells the others sharing its database: "gateway G's configuration
// changed", "approval A changed". On SQLite there is one process, so the feed carries nothing and the
// in-process events are the whole story. On PostgreSQL messages go through NOTIFY on a channel named
// after the schema (test schemas share one server), and one dedicated connection per process LISTENs
// (a pooled connection cannot: the pool hands it to other queries and may close it).
//
// NOTIFY is delivered at most once and only to connected listeners, so nothing may depend on it
// alone: after the listening connection is lost and comes back, `onResync` listeners re-read what they
// serve (a gateway's version, its recent approvals), and the gateway streams also check their version
// on a timer.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';

export type FeedTopic = 'config' | 'approval';

export interface ChangeFeed {
  /** True when other processes may write to the same database (PostgreSQL). */
  readonly shared: boolean;
  /** Tells the other processes; never throws (a lost message is caught up by the resync paths). */
  publish(topic: FeedTopic, data: Record<string, unknown>): void;
  /** Messages from other processes (never this one's own). Returns the unsubscribe function. */
  subscribe(topic: FeedTopic, listener: (data: Record<string, unknown>) => void): () => void;
  /** Called after the listening connection came back from a loss: messages may have been missed. */
  onResync(listener: () => void): () => void;
  close(): Promise<void>;
}

/** SQLite: a single process, nothing to tell anyone. */
export const localChangeFeed: ChangeFeed = {
  shared: false,
  publish() {},
  subscribe: () => () => {},
  onResync: () => () => {},
  close: async () => {},
};

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
/** NOTIFY payloads must stay under 8000 bytes: messages carry ids, never whole rows. */
const MAX_PAYLOAD = 7900;

/**
 * The PostgreSQL feed. The listening connection opens at the first subscription (CLI commands that
 * open the database never listen) and reconnects on its own after a loss.
 */
export function postgresChangeFeed(opts: {
  // biome-ignore lint/suspicious/noExplicitAny: only raw SQL is sent
  db: Kysely<any>;
  connectionString: string;
  channel: string;
  onError?: ((err: unknown, what: string) => void) | undefined;
}): ChangeFeed {
  const origin = randomUUID();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let client: pg.Client | undefined;
  let started = false;
  let closed = false;
  let missed = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  const report = (err: unknown, what: string) => opts.onError?.(err, what);
  const quoted = `"${opts.channel.replace(/"/g, '""')}"`;

  async function connect(): Promise<void> {
    if (closed) return;
    const c = new pg.Client({ connectionString: opts.connectionString });
    let gone = false;
    const lost = (err?: unknown) => {
      if (gone) return;
      gone = true;
      if (client === c) client = undefined;
      void c.end().catch(() => {});
      if (closed) return;
      missed = true;
      if (err) report(err, 'the change feed lost its database connection');
      retryTimer = setTimeout(() => void connect(), retryMs);
      retryTimer.unref();
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', (msg) => {
      if (msg.channel !== opts.channel || !msg.payload) return;
      try {
        const m = JSON.parse(msg.payload) as { o: string; t: FeedTopic; d: Record<string, unknown> };
        if (m.o !== origin) events.emit(m.t, m.d);
      } catch (err) {
        report(err, 'an unreadable change-feed message');
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoted}`);
    } catch (err) {
      lost(err);
      return;
    }
    if (closed) {
      void c.end().catch(() => {});
      return;
    }
    client = c;
    retryMs = RETRY_MIN_MS;
    // The first connection has nothing to catch up on; one after a loss or a failure may have missed messages.
    if (missed) events.emit('resync');
    missed = false;
  }

  function start() {
    if (started || closed) return;
    started = true;
    void connect();
  }

  return {
    shared: true,
    publish(topic, data) {
      const payload = JSON.stringify({ o: origin, t: topic, d: data });
      if (payload.length > MAX_PAYLOAD) {
        report(new Error(`${payload.length} bytes`), 'a change-feed message too large to send');
        return;
      }
      void sql`select pg_notify(${opts.channel}, ${payload})`
        .execute(opts.db)
        .catch((err: unknown) => report(err, 'could not publish a change'));
    },
    subscribe(topic, listener) {
      start();
      events.on(topic, listener);
      return () => events.off(topic, listener);
    },
    onResync(listener) {
      start();
      events.on('resync', listener);
      return () => events.off('resync', listener);
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      events.removeAllListeners();
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}

/** The channel of a schema: NOTIFY reaches every listener of the database, whatever its schema. */
export function feedChannel(schema: string): string {
  return `tameflare_changes_${schema}`.slice(0, 63);
}
