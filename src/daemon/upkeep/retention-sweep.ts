// One retention sweep: rows past their retention are deleted oldest first in small chunks, and the
// pages they held are given back (incremental vacuum) as it goes. The chunk size adapts so that one
// chunk stays near its time budget, and the sweep pauses between chunks for at least as long as the
// last chunk took: whatever shares the database (the gateway's writer thread, the control plane's
// event loop) gets at least half of the time, and a request waits for one chunk at most.

export interface ChunkOutcome {
  deleted: number;
  freedBytes: number;
  ms: number;
  /** Nothing older than the cutoff is left to delete (the sweep still gives pages back). */
  exhausted: boolean;
  /** No free page is left to give back (or the file does not use incremental vacuum). */
  drained: boolean;
}

export interface RetentionTarget {
  /** The table whose old rows go (`traffic_log`, `audit_events`). */
  readonly table: string;
  /** Retention in days; 0 keeps everything. */
  readonly days: number;
  /** Deletes up to `rows` rows older than `cutoff` and gives back up to `pages` free pages. */
  chunk(cutoff: string, rows: number, pages: number): Promise<ChunkOutcome>;
}

export interface SweepReport {
  table: string;
  cutoff: string;
  started_at: string;
  deleted: number;
  chunks: number;
  freed_bytes: number;
  /** The longest single chunk (what a write or a request could have waited for). */
  max_chunk_ms: number;
  total_ms: number;
  error: string | null;
}

export interface SweepOptions {
  now: Date;
  /** Per-chunk time budget. */
  budgetMs: number;
  /** Stops between chunks (shutdown). */
  stopped?: () => boolean;
  onChunk?: (table: string, outcome: ChunkOutcome) => void;
}

const MIN_ROWS = 10;
const MAX_ROWS = 5000;

export async function sweep(target: RetentionTarget, opts: SweepOptions): Promise<SweepReport> {
  const cutoff = new Date(opts.now.getTime() - target.days * 86_400_000).toISOString();
  const report: SweepReport = {
    table: target.table,
    cutoff,
    started_at: opts.now.toISOString(),
    deleted: 0,
    chunks: 0,
    freed_bytes: 0,
    max_chunk_ms: 0,
    total_ms: 0,
    error: null,
  };
  const started = performance.now();
  let rows = 50;
  let exhausted = false;
  try {
    while (!opts.stopped?.()) {
      // Once nothing is left to delete, chunks only give pages back.
      const pages = Math.max(32, rows);
      const out = await target.chunk(cutoff, exhausted ? 0 : rows, pages);
      report.chunks++;
      report.deleted += out.deleted;
      report.freed_bytes += out.freedBytes;
      report.max_chunk_ms = Math.max(report.max_chunk_ms, out.ms);
      opts.onChunk?.(target.table, out);
      exhausted ||= out.exhausted;
      if (exhausted && out.drained) break;
      // Proportional to the budget, at most doubling: converges on chunks of about budgetMs.
      const scale = Math.min(2, opts.budgetMs / Math.max(out.ms, 0.01));
      rows = Math.max(MIN_ROWS, Math.min(MAX_ROWS, Math.floor(rows * scale)));
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(out.ms))));
    }
  } catch (err) {
    report.error = (err as Error).message;
  }
  report.total_ms = performance.now() - started;
  return report;
}
