// Which gateways have their configuration stream open right now, and with which CA: what makes a
// gateway `connected`, and how a second gateway that starts under a name already in use is told so
// instead of silently taking over the first one's agents.
//
// This process's own streams are known in memory. With several control-plane processes on one
// database (PostgreSQL), each also keeps a row per open stream in `gateway_streams` with an expiry it
// renews on a heartbeat, so every process sees a stream open on any of them; a process that dies
// without closing its streams stops renewing, and its rows count for nothing once expired.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db.js';

interface Connection {
  id: string;
  gatewayId: string;
  fingerprint: string | undefined;
  since: Date;
}

/** Which gateways are connected, read once (for a list or a health answer). */
export interface ConnectedNow {
  isConnected(gatewayId: string): boolean;
}

export interface SharedPresence {
  db: Db;
  now: () => Date;
  /** How long a row counts without a renewal (default 45 s; renewed every third of that). */
  ttlMs?: number | undefined;
  onError?: ((err: unknown) => void) | undefined;
}

const DEFAULT_TTL_MS = 45_000;

export class ConnectedGateways {
  readonly #mine = new Map<string, Connection>();
  readonly #shared: SharedPresence | undefined;
  readonly #ttlMs: number;
  #heartbeat: NodeJS.Timeout | undefined;
  #writes: Promise<void> = Promise.resolve();

  /** `shared`: also publish and read streams through the database (several processes). */
  constructor(shared?: SharedPresence) {
    this.#shared = shared;
    this.#ttlMs = shared?.ttlMs ?? DEFAULT_TTL_MS;
  }

  /** Records an open stream; returns the function that records its end. */
  open(gatewayId: string, fingerprint: string | undefined, now: Date): () => void {
    const conn: Connection = { id: randomUUID(), gatewayId, fingerprint, since: now };
    this.#mine.set(conn.id, conn);
    if (this.#shared) {
      this.#startHeartbeat();
      this.#write((db, at) => upsertStreams(db, [conn], at, this.#ttlMs));
    }
    return () => {
      if (!this.#mine.delete(conn.id)) return;
      this.#write((db) => db.deleteFrom('gateway_streams').where('id', '=', conn.id).execute());
    };
  }

  /** Connected gateways now: this process's streams, and unexpired rows of every process. */
  async current(): Promise<ConnectedNow> {
    const ids = new Set([...this.#mine.values()].map((c) => c.gatewayId));
    if (this.#shared) {
      for (const r of await this.#liveRows()) ids.add(r.gateway_id);
    }
    return { isConnected: (id) => ids.has(id) };
  }

  async isConnected(gatewayId: string): Promise<boolean> {
    return (await this.current()).isConnected(gatewayId);
  }

  /**
   * The CA fingerprint of another gateway streaming under this name (on any process), when it
   * differs from `fingerprint` (streams that did not say which CA they have are not counted).
   */
  async conflictingFingerprint(gatewayId: string, fingerprint: string): Promise<string | undefined> {
    const all = [...this.#mine.values()].filter((c) => c.gatewayId === gatewayId).map((c) => c.fingerprint);
    if (this.#shared)
      all.push(...(await this.#liveRows(gatewayId)).map((r) => r.ca_fingerprint ?? undefined));
    return all.find((f) => f !== undefined && f !== fingerprint);
  }

  /** Stops renewing and removes this process's rows (its streams are being closed). */
  async close(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const ids = [...this.#mine.keys()];
    this.#mine.clear();
    if (this.#shared && ids.length > 0)
      this.#write((db) => db.deleteFrom('gateway_streams').where('id', 'in', ids).execute());
    await this.#writes;
  }

  async #liveRows(gatewayId?: string) {
    const s = this.#shared!;
    let q = s.db
      .selectFrom('gateway_streams')
      .select(['gateway_id', 'ca_fingerprint'])
      .where('expires_at', '>', s.now().toISOString());
    if (gatewayId !== undefined) q = q.where('gateway_id', '=', gatewayId);
    return q.execute();
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    this.#heartbeat = setInterval(() => {
      const conns = [...this.#mine.values()];
      this.#write(async (db, at) => {
        // Renewed by upsert: a row whose insert was lost (database away) comes back with the database.
        if (conns.length > 0) await upsertStreams(db, conns, at, this.#ttlMs);
        // Rows of processes that died without closing their streams.
        await db.deleteFrom('gateway_streams').where('expires_at', '<', at.toISOString()).execute();
      });
    }, this.#ttlMs / 3);
    this.#heartbeat.unref();
  }

  /** Writes run one after the other (an open's insert before its close's delete); failures are reported, not thrown. */
  #write(work: (db: Db, at: Date) => Promise<unknown>): void {
    const s = this.#shared;
    if (!s) return;
    this.#writes = this.#writes
      .then(() => work(s.db, s.now()))
      .then(
        () => undefined,
        (err: unknown) => s.onError?.(err),
      );
  }
}

function upsertStreams(db: Db, conns: Connection[], at: Date, ttlMs: number) {
  const expires = new Date(at.getTime() + ttlMs).toISOString();
  return db
    .insertInto('gateway_streams')
    .values(
      conns.map((c) => ({
        id: c.id,
        gateway_id: c.gatewayId,
        ca_fingerprint: c.fingerprint ?? null,
        opened_at: c.since.toISOString(),
        expires_at: expires,
      })),
    )
    .onConflict((oc) => oc.column('id').doUpdateSet({ expires_at: expires }))
    .execute();
}
