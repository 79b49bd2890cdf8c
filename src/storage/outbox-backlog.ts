// How many events wait in a gateway's outbox, for /health and the gateway's registration report.
// Read on its own read-only connection that never waits for a lock (busy timeout 0): a locked
// gateway.db makes the answer "unknown", never a stalled event loop. The count is cached briefly,
// since /health may be polled often and a backlog can be large while the control plane is down.
import Database from 'better-sqlite3';

export interface OutboxBacklog {
  /** Events after the last acknowledged one; null while the database cannot be read. */
  count(): number | null;
  /** The sync link acknowledged everything up to this id (deleted rows may linger a moment). */
  acknowledged(uptoId: number): void;
  close(): void;
}

export function openOutboxBacklog(path: string, opts: { cacheMs?: number } = {}): OutboxBacklog {
  const cacheMs = opts.cacheMs ?? 1000;
  let db: Database.Database | undefined;
  let statement: Database.Statement<[number], { n: number }> | undefined;
  let acked = 0;
  let cached: { at: number; value: number | null } | undefined;
  return {
    count() {
      const now = Date.now();
      if (cached && now - cached.at < cacheMs) return cached.value;
      let value: number | null;
      try {
        db ??= new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
        statement ??= db.prepare('SELECT count(*) AS n FROM outbox WHERE id > ?');
        value = statement.get(acked)?.n ?? 0;
      } catch {
        value = null;
      }
      cached = { at: now, value };
      return value;
    },
    acknowledged(uptoId) {
      if (uptoId > acked) {
        acked = uptoId;
        cached = undefined;
      }
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}
