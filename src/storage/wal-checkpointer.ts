// Checkpoints of a SQLite file's write-ahead log, off the event loop.
//
// SQLite checkpoints a WAL file by itself once it passes 1,000 pages, on the connection whose
// commit crossed the line: the copy into the database file and its fsync then run inside that
// commit. For the control plane's local.db that connection is the event loop's, and in
// `--role=all` it commits the audit intake all the time: about one run in 200 took 5-10 ms instead of
// under 1 (npm run bench:gateway, the intake histogram), a stall every request in flight waits out.
//
// Here a thread with its own connection runs PASSIVE checkpoints every quarter second. PASSIVE never
// waits for a reader or a writer and never makes them wait: it copies what no reader still needs,
// and the next write restarts the log from its beginning if everything was copied by then. Under a
// steady stream of commits a write can land while each checkpoint runs, so that restart is not
// guaranteed: the event loop's connection keeps checkpointing by itself, at 2,000 pages instead of
// 1,000, as the bound on the log. When it gets there the thread has copied nearly everything (its
// checkpoint finds little left to do) and the next write restarts the log. If the thread fails, the
// connection checkpoints at SQLite's usual 1,000 pages again.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** How often the thread checkpoints. */
const INTERVAL_MS = 250;
/** SQLite's own default, restored on the event loop's connection when the thread is gone. */
const AUTOCHECKPOINT_PAGES = 1000;
/** The event loop's connection's own threshold while the thread runs: the bound on the log (8 MB). */
export const BACKSTOP_PAGES = 2000;

export interface WalCheckpointer {
  /** Stops the thread after a last checkpoint; the connection checkpoints by itself again. */
  close(): Promise<void>;
}

/** `raw` is the event loop's connection to `path` (in WAL mode). */
export function startWalCheckpointer(
  raw: Database.Database,
  path: string,
  logger: Logger,
  opts: { intervalMs?: number } = {},
): WalCheckpointer {
  const worker = new Worker(walCheckpointWorkerSource, {
    eval: true,
    workerData: {
      path,
      sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: opts.intervalMs ?? INTERVAL_MS,
    },
  });
  worker.unref(); // never what keeps a process alive
  raw.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let closing = false;
  const restore = () => {
    try {
      if (raw.open) raw.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    } catch {
      // closed meanwhile: nothing left to checkpoint from here
    }
  };
  worker.on('message', (msg: { t: string; message?: string }) => {
    if (msg.t === 'failed') logger.warn({ err: msg.message }, 'WAL checkpoint failed; retried');
  });
  worker.on('error', (err) => {
    logger.error({ err }, 'WAL checkpoint thread failed; the database checkpoints on commit again');
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      restore();
      if (!closing) logger.warn('WAL checkpoint thread stopped; the database checkpoints on commit again');
      resolve();
    }),
  );
  return {
    async close() {
      if (closing) return exited;
      closing = true;
      worker.postMessage({ t: 'close' });
      await exited;
    },
  };
}

/* The thread. Runs from source (eval) so the same code works under the test runner and from the
   build. Messages in: {t:'close'}. Out: {t:'failed', message} (a checkpoint that threw, e.g. the
   disk is full; the next one is tried on schedule). */
function walCheckpointWorker(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Database = require(workerData.sqlite) as typeof import('better-sqlite3');
  const db = new Database(workerData.path as string);
  const port = parentPort!;
  let lastFailure = '';
  const checkpoint = () => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      lastFailure = '';
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      // Said once per kind of failure, not four times a second.
      if (message !== lastFailure) port.postMessage({ t: 'failed', message });
      lastFailure = message;
    }
  };
  const timer = setInterval(checkpoint, workerData.intervalMs as number);
  port.on('message', (msg: { t: string }) => {
    if (msg.t !== 'close') return;
    clearInterval(timer);
    checkpoint();
    db.close();
    port.close();
  });
}

export const walCheckpointWorkerSource = `(${walCheckpointWorker.toString()})();`;
