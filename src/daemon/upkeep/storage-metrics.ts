// /metrics for storage: database sizes, free space and row counts (from the disk watch's last
// report, read at scrape time) and what retention removed. Registered once per registry: in
// `--role=all` both roles share one registry and one disk watch.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StorageReport } from './disk-watch.js';

export interface RetentionMetrics {
  deleted: Counter<'table'>;
  chunkSeconds: Histogram<'table'>;
}

export function registerStorageMetrics(
  registry: Registry,
  report: () => StorageReport,
  dropped?: () => number,
): RetentionMetrics {
  const registers = [registry];
  for (const name of [
    'tameflare_database_bytes',
    'tameflare_database_wal_bytes',
    'tameflare_database_rows',
    'tameflare_data_dir_free_bytes',
    'tameflare_data_dir_total_bytes',
    'tameflare_storage_warning',
    'tameflare_gateway_traffic_log_dropped',
  ])
    registry.removeSingleMetric(name); // their collect() closes over this daemon's disk watch
  new Gauge({
    name: 'tameflare_database_bytes',
    help: 'Size of a database file with its WAL',
    labelNames: ['database'],
    registers,
    collect() {
      for (const [db, r] of Object.entries(report().databases)) this.set({ database: db }, r.bytes);
    },
  });
  new Gauge({
    name: 'tameflare_database_wal_bytes',
    help: 'Size of a database WAL file',
    labelNames: ['database'],
    registers,
    collect() {
      for (const [db, r] of Object.entries(report().databases)) this.set({ database: db }, r.wal_bytes);
    },
  });
  new Gauge({
    name: 'tameflare_database_rows',
    help: 'Rows of the big tables (from the id range)',
    labelNames: ['database', 'table'],
    registers,
    collect() {
      for (const [db, r] of Object.entries(report().databases))
        for (const [table, n] of Object.entries(r.rows)) this.set({ database: db, table }, n);
    },
  });
  new Gauge({
    name: 'tameflare_data_dir_free_bytes',
    help: "Free space of the data directory's file system (for unprivileged users)",
    registers,
    collect() {
      this.set(report().data_dir.free_bytes);
    },
  });
  new Gauge({
    name: 'tameflare_data_dir_total_bytes',
    help: "Size of the data directory's file system",
    registers,
    collect() {
      this.set(report().data_dir.total_bytes);
    },
  });
  new Gauge({
    name: 'tameflare_storage_warning',
    help: 'A storage threshold of the seed crossed (1) or not (0), by check',
    labelNames: ['check'],
    registers,
    collect() {
      const r = report();
      const active = new Set(r.warnings.map((w) => w.check));
      for (const check of [...Object.keys(r.databases), 'free_space'])
        this.set({ check }, active.has(check as never) ? 1 : 0);
    },
  });
  if (dropped)
    new Gauge({
      name: 'tameflare_gateway_traffic_log_dropped',
      help: 'Traffic rows and outbox events the gateway gave up since start (backlog overflow while gateway.db could not be written)',
      registers,
      collect() {
        this.set(dropped());
      },
    });
  const deleted = (registry.getSingleMetric('tameflare_retention_deleted_rows_total') ??
    new Counter({
      name: 'tameflare_retention_deleted_rows_total',
      help: 'Rows removed by automatic retention, by table',
      labelNames: ['table'],
      registers,
    })) as Counter<'table'>;
  const chunkSeconds = (registry.getSingleMetric('tameflare_retention_chunk_seconds') ??
    new Histogram({
      name: 'tameflare_retention_chunk_seconds',
      help: 'Duration of one retention chunk (delete + incremental vacuum), by table',
      labelNames: ['table'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    })) as Histogram<'table'>;
  return { deleted, chunkSeconds };
}
