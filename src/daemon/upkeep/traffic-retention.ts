// Traffic-log retention on the gateway: each chunk runs on the traffic-log writer thread, between
// its batches (traffic-log-worker.ts), so the event loop never runs a delete or waits for a lock.
import type { TrafficLogWriter } from '../../gateway/traffic-log/traffic-log-writer.js';
import type { ChunkOutcome, RetentionTarget } from './retention-sweep.js';

export function trafficRetention(
  writer: Pick<TrafficLogWriter, 'pruneChunk'>,
  opts: { days: () => number; pageSize: number; incremental: () => boolean },
): RetentionTarget {
  return {
    table: 'traffic_log',
    // Read at every sweep: the control plane may change it while the daemon runs.
    get days() {
      return opts.days();
    },
    async chunk(cutoff, rows, pages): Promise<ChunkOutcome> {
      const incremental = opts.incremental();
      const r = await writer.pruneChunk(cutoff, rows, incremental ? pages : 0);
      if (r.error) throw new Error(`traffic_log retention: ${r.error}`);
      return {
        deleted: r.deleted,
        freedBytes: r.freedPages * opts.pageSize,
        ms: r.ms,
        exhausted: r.deleted < rows || rows === 0,
        drained: !incremental || r.freelist === 0,
      };
    },
  };
}
