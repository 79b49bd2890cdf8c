// The traffic log writer thread: owns its own connection to gateway.db and runs every write the
// gateway makes while it serves (traffic rows, outbox events, outbox acknowledgements, configuration
// and vault persistence), so the event loop never waits for a database lock. It runs from source
// (`eval`), so the function below must be self-contained: no imports, no closures over module scope.

/* The worker's whole program.
   Messages in:
   - {t:'batch', n, rows, events, ops}: one flush of the event loop, numbered n (1, 2, ...).
     rows are positional arrays (see ROW in traffic-log-writer.ts):
       [seq, request_id, agent, connector, action, method, host, path, decision, reason, status,
        latency_ms, bytes_in, bytes_out, error, mode, created_at, completed_at, params, event]
     where event is null or [event_type, code] (the row's outbox event, built here);
     events are, in order, either a row index (that row's event) or [event_type, payload, created_at];
     ops are [sql, params, jsonParamIndexes?] persisted in the same transaction, in order.
   - {t:'ack', upTo}: outbox events up to this id were taken by the control plane.
   - {t:'read', n, limit}: the next outbox events after the acknowledged ones.
   - {t:'prune', n, cutoff, limit, pages}: retention (src/daemon/upkeep/): deletes up to `limit`
     completed rows created before `cutoff` (oldest first), then gives back up to `pages` free pages
     (incremental vacuum); its own short transaction, between the batches.
   - {t:'close'}
   Messages out: {t:'written', upTo, rows, events}, {t:'busy', message}, {t:'failed', ...},
   {t:'read', n, rows}, {t:'pruned', n, deleted, freedPages, freelist, ms, error},
   {t:'recovered', rows}, {t:'closed'}. */
function trafficLogWorker(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Database = require(workerData.sqlite) as typeof import('better-sqlite3');
  const db = new Database(workerData.path as string);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Short on purpose: a lock held by another process is retried from here with backoff, between
  // attempts the thread answers reads, and the gateway learns within a quarter second that writes
  // are blocked (its /health says so).
  db.pragma('busy_timeout = 250');
  const port = parentPort!;
  const insert = db.prepare(
    `INSERT INTO traffic_log (request_id, agent, connector, action, method, host, path, decision, reason,
       status, latency_ms, bytes_in, bytes_out, error, mode, created_at, completed_at, params)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const update = db.prepare(
    `UPDATE traffic_log SET agent = ?, connector = ?, action = ?, decision = ?, reason = ?, status = ?,
       latency_ms = ?, bytes_in = ?, bytes_out = ?, error = ?, mode = ?, completed_at = ?, params = ? WHERE id = ?`,
  );
  const insertEvent = db.prepare('INSERT INTO outbox (event_type, payload, created_at) VALUES (?, ?, ?)');
  const deleteEvents = db.prepare('DELETE FROM outbox WHERE id <= ?');
  const selectEvents = db.prepare(
    'SELECT id, event_type, payload, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
  );
  const openRows = db.prepare(
    `SELECT id, request_id, agent, connector, action, method, host, path, decision, reason, status,
       bytes_in, bytes_out, mode, created_at, params FROM traffic_log WHERE completed_at IS NULL ORDER BY id`,
  );
  const closeRow = db.prepare(
    "UPDATE traffic_log SET error = 'interrupted', completed_at = ? WHERE id = ? AND completed_at IS NULL",
  );
  const pruneRows = db.prepare(
    `DELETE FROM traffic_log WHERE id IN (SELECT id FROM traffic_log
       WHERE created_at < ? AND completed_at IS NOT NULL ORDER BY created_at LIMIT ?)`,
  );
  const statements = new Map<string, import('better-sqlite3').Statement>();

  type Row = unknown[];
  type Op = [string, unknown[], number[]?];
  type Batch = { n: number; rows: Row[]; events: (number | [string, unknown, string])[]; ops: Op[] };

  // Rows written but not complete yet (seq → rowid): their next change is an UPDATE.
  const open = new Map<number, number>();
  const queue: Batch[] = [];
  let recoverPending = workerData.recover === true;
  let acked = 0; // highest outbox id acknowledged (committed or queued): never read again
  let ackPending = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let drainScheduled = false;
  let attempt = 0;
  let closing = false;
  const MAX_QUEUED_ROWS = 100_000;

  /**
   * The row's outbox event: what the control plane's ledger keeps (who, what, the decision) and the
   * row's id, `traffic_id`, by which it refers to everything else in the row instead of copying it
   * (docs/operations.md, "Compact action events").
   */
  function payloadOf(r: Row, trafficId: number): string {
    const ev = r[19] as [string, string | null];
    return JSON.stringify({ agent: r[2], action: r[4], decision: r[8], code: ev[1], traffic_id: trafficId });
  }

  /** Rows an earlier run left open (it was killed): closed as interrupted, each with its event. */
  function recover(at: string): number {
    const rows = openRows.all() as Record<string, unknown>[];
    for (const row of rows) {
      closeRow.run(at, row.id);
      const payload = {
        agent: row.agent,
        action: row.action,
        decision: row.decision,
        code: 'interrupted',
        traffic_id: row.id,
      };
      insertEvent.run('action.interrupted', JSON.stringify(payload), at);
    }
    return rows.length;
  }

  function runOp(op: Op): void {
    let stmt = statements.get(op[0]);
    if (!stmt) {
      stmt = db.prepare(op[0]);
      statements.set(op[0], stmt);
    }
    // Serialised here, off the event loop; a copy, so a retried batch serialises the same values again.
    const params = op[2] ? op[1].map((v, i) => (op[2]!.includes(i) ? JSON.stringify(v) : v)) : op[1];
    stmt.run(...params);
  }

  // Every queued batch in one transaction (group commit): the rows and events of a request commit
  // together, and a burst of strict-mode arrivals shares one commit. `opened`/`closed` are applied to
  // `open` only once the transaction commits; within it they overlay `open` (an entry can be in two
  // of the merged batches).
  const write = db.transaction(
    (batches: Batch[], opened: Map<number, number>, closed: number[], ack: number): number => {
      const recovered = recoverPending ? recover(new Date().toISOString()) : -1;
      for (const batch of batches) {
        for (const op of batch.ops) runOp(op);
        const rowIds: number[] = [];
        for (const r of batch.rows) {
          const seq = r[0] as number;
          const rowid = opened.get(seq) ?? open.get(seq);
          const complete = r[17] !== null;
          const params = r[18] === null ? null : JSON.stringify(r[18]);
          if (rowid === undefined) {
            const result = insert.run(
              r[1],
              r[2],
              r[3],
              r[4],
              r[5],
              r[6],
              r[7],
              r[8],
              r[9],
              r[10],
              r[11],
              r[12],
              r[13],
              r[14],
              r[15],
              r[16],
              r[17],
              params,
            );
            const id = Number(result.lastInsertRowid);
            rowIds.push(id);
            if (!complete) opened.set(seq, id);
          } else {
            rowIds.push(rowid);
            update.run(
              r[2],
              r[3],
              r[4],
              r[8],
              r[9],
              r[10],
              r[11],
              r[12],
              r[13],
              r[14],
              r[15],
              r[17],
              params,
              rowid,
            );
            if (complete && !opened.delete(seq)) closed.push(seq);
          }
        }
        for (const e of batch.events) {
          if (typeof e === 'number') {
            const r = batch.rows[e]!;
            insertEvent.run((r[19] as [string])[0], payloadOf(r, rowIds[e]!), r[17]);
          } else {
            insertEvent.run(e[0], typeof e[1] === 'string' ? e[1] : JSON.stringify(e[1]), e[2]);
          }
        }
      }
      if (ack > 0) deleteEvents.run(ack);
      return recovered;
    },
  );

  function drain(): void {
    drainScheduled = false;
    if (retryTimer || (queue.length === 0 && ackPending === 0 && !recoverPending)) return;
    const batches = queue.slice();
    const opened = new Map<number, number>();
    const closed: number[] = [];
    let recovered: number;
    try {
      recovered = write.immediate(batches, opened, closed, ackPending);
    } catch (err) {
      // Rolled back: keep everything and try again shortly (database locked, disk full...).
      port.postMessage({ t: 'busy', message: String((err as Error)?.message ?? err) });
      if (closing) return;
      const delay = Math.min(1000, 50 * 2 ** Math.min(attempt++, 5));
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        drain();
      }, delay);
      return;
    }
    attempt = 0;
    queue.splice(0, batches.length);
    ackPending = 0;
    for (const [seq, rowid] of opened) open.set(seq, rowid);
    for (const seq of closed) open.delete(seq);
    if (recovered >= 0) {
      recoverPending = false;
      port.postMessage({ t: 'recovered', rows: recovered });
    }
    let rows = 0;
    let events = 0;
    for (const b of batches) {
      rows += b.rows.length;
      events += b.events.length;
    }
    port.postMessage({ t: 'written', upTo: batches.at(-1)?.n ?? 0, rows, events });
  }

  function read(n: number, limit: number): void {
    let rows: unknown[] = [];
    try {
      rows = selectEvents.all(acked, limit);
    } catch (err) {
      port.postMessage({ t: 'busy', message: String((err as Error)?.message ?? err) });
    }
    port.postMessage({ t: 'read', n, rows });
  }

  function prune(n: number, cutoff: string, limit: number, pages: number): void {
    const started = performance.now();
    try {
      const deleted = limit > 0 ? pruneRows.run(cutoff, limit).changes : 0;
      const before = db.pragma('freelist_count', { simple: true }) as number;
      if (pages > 0 && before > 0) db.pragma(`incremental_vacuum(${Math.floor(pages)})`);
      const freelist = db.pragma('freelist_count', { simple: true }) as number;
      const ms = performance.now() - started;
      port.postMessage({ t: 'pruned', n, deleted, freedPages: before - freelist, freelist, ms, error: null });
    } catch (err) {
      const error = String((err as Error)?.message ?? err);
      const ms = performance.now() - started;
      port.postMessage({ t: 'pruned', n, deleted: 0, freedPages: 0, freelist: 0, ms, error });
    }
  }

  function enqueue(batch: Batch): void {
    queue.push(batch);
    let queued = 0;
    for (const b of queue) queued += b.rows.length + b.events.length;
    // Bounded: a write that keeps failing must not grow without end. The oldest rows go first, never
    // configuration changes (ops), which are carried over to the next batch.
    while (queued > MAX_QUEUED_ROWS && queue.length > 1) {
      const dropped = queue.splice(0, 1)[0]!;
      queue[0]!.ops.unshift(...dropped.ops);
      queued -= dropped.rows.length + dropped.events.length;
      port.postMessage({
        t: 'failed',
        message: 'writer backlog full; rows dropped',
        upTo: dropped.n,
        rows: dropped.rows.length,
        events: dropped.events.length,
      });
    }
  }

  type Message = { t: string; n: number; limit: number; upTo: number; cutoff: string; pages: number };
  port.on('message', (msg: Message & Partial<Batch>) => {
    switch (msg.t) {
      case 'batch':
        enqueue({ n: msg.n, rows: msg.rows ?? [], events: msg.events ?? [], ops: msg.ops ?? [] });
        break;
      case 'ack':
        if (msg.upTo > acked) acked = ackPending = msg.upTo;
        break;
      case 'read':
        read(msg.n, msg.limit);
        return;
      case 'prune':
        prune(msg.n, msg.cutoff, msg.limit, msg.pages);
        return;
      case 'close':
        closing = true;
        if (retryTimer) clearTimeout(retryTimer);
        retryTimer = undefined;
        drain();
        for (const batch of queue) {
          port.postMessage({
            t: 'failed',
            message: 'gateway closing; batch could not be written',
            upTo: batch.n,
            rows: batch.rows.length,
            events: batch.events.length,
          });
        }
        db.close();
        port.postMessage({ t: 'closed' });
        return;
    }
    // Messages that arrived together are written together.
    if (!drainScheduled) {
      drainScheduled = true;
      setImmediate(drain);
    }
  });
  if (recoverPending) {
    drainScheduled = true;
    setImmediate(drain);
  }
}

export const trafficLogWorkerSource = `(${trafficLogWorker.toString()})();`;
