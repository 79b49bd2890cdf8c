// The traffic log writer thread: owns its own connection to gateway.db and writes the batches the
// gateway's event loop hands it (see traffic-log-writer.ts). It runs from source (`eval`), so the
// function below must be self-contained: no imports, no closures over module scope.

/* The worker's whole program. Batches: rows are positional arrays
   [seq, request_id, agent, connector, action, method, host, path, decision, reason, status,
    latency_ms, bytes_in, bytes_out, error, mode, created_at, completed_at]; events are
   [event_type, payload (an object, serialised here, off the event loop), created_at]. */
function trafficLogWorker(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Database = require(workerData.sqlite) as typeof import('better-sqlite3');
  const db = new Database(workerData.path as string);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare(
    `INSERT INTO traffic_log (request_id, agent, connector, action, method, host, path, decision, reason,
       status, latency_ms, bytes_in, bytes_out, error, mode, created_at, completed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const update = db.prepare(
    `UPDATE traffic_log SET agent = ?, connector = ?, action = ?, decision = ?, reason = ?, status = ?,
       latency_ms = ?, bytes_in = ?, bytes_out = ?, error = ?, mode = ?, completed_at = ? WHERE id = ?`,
  );
  const insertEvent = db.prepare('INSERT INTO outbox (event_type, payload, created_at) VALUES (?, ?, ?)');
  // Rows written but not complete yet (seq → rowid): their next change is an UPDATE.
  const open = new Map<number, number>();
  type Row = unknown[];
  type Batch = { rows: Row[]; events: [string, unknown, string][] };
  const write = db.transaction((batch: Batch, opened: [number, number][], closed: number[]) => {
    for (const r of batch.rows) {
      const seq = r[0] as number;
      const rowid = open.get(seq);
      const complete = r[17] !== null;
      if (rowid === undefined) {
        const result = insert.run(...r.slice(1));
        if (!complete) opened.push([seq, Number(result.lastInsertRowid)]);
      } else {
        update.run(r[2], r[3], r[4], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[17], rowid);
        if (complete) closed.push(seq);
      }
    }
    for (const e of batch.events) {
      insertEvent.run(e[0], typeof e[1] === 'string' ? e[1] : JSON.stringify(e[1]), e[2]);
    }
  });

  const queue: Batch[] = [];
  let retryTimer: NodeJS.Timeout | undefined;
  let closing = false;
  const MAX_QUEUED_ROWS = 100_000;

  function drain(): void {
    while (queue.length > 0) {
      const batch = queue[0]!;
      const opened: [number, number][] = [];
      const closed: number[] = [];
      try {
        write(batch, opened, closed);
      } catch (err) {
        // Rolled back: keep the batch and try again shortly (disk full, database locked...).
        parentPort!.postMessage({ type: 'retrying', message: String((err as Error)?.message ?? err) });
        if (closing) return;
        retryTimer ??= setTimeout(() => {
          retryTimer = undefined;
          drain();
        }, 1000);
        return;
      }
      queue.shift();
      for (const [seq, rowid] of opened) open.set(seq, rowid);
      for (const seq of closed) open.delete(seq);
      parentPort!.postMessage({ type: 'written', rows: batch.rows.length, events: batch.events.length });
    }
  }

  parentPort!.on('message', (msg: { type: string } & Partial<Batch>) => {
    if (msg.type === 'batch') {
      queue.push({ rows: msg.rows ?? [], events: msg.events ?? [] });
      let queued = queue.reduce((n, b) => n + b.rows.length + b.events.length, 0);
      while (queued > MAX_QUEUED_ROWS && queue.length > 1) {
        const dropped = queue.splice(1, 1)[0]!; // the head may be mid-retry; drop the next oldest
        queued -= dropped.rows.length + dropped.events.length;
        parentPort!.postMessage({
          type: 'failed',
          message: 'writer backlog full; batch dropped',
          rows: dropped.rows.length,
          events: dropped.events.length,
        });
      }
      if (!retryTimer) drain();
      return;
    }
    if (msg.type === 'close') {
      closing = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      drain();
      for (const batch of queue) {
        parentPort!.postMessage({
          type: 'failed',
          message: 'gateway closing; batch could not be written',
          rows: batch.rows.length,
          events: batch.events.length,
        });
      }
      db.close();
      parentPort!.postMessage({ type: 'closed' });
    }
  });
}

export const trafficLogWorkerSource = `(${trafficLogWorker.toString()})();`;
