// The seed's "Disk monitoring recommendations", checked by the daemon itself: database sizes (with
// their WAL), free space of the data directory and row counts, against the seed's thresholds
// (local.db > 500 MB, gateway.db > 1 GB, free space < 10 %). A crossing turns /health to "warning"
// naming the seed's action and is logged once (and once more when it clears). Checked on a timer,
// off the request path: /health and /metrics read the last report.
import { existsSync, statfsSync, statSync } from 'node:fs';
import type { Logger } from 'pino';

const MB = 1024 * 1024;

export interface DiskThresholds {
  localDbBytes: number;
  gatewayDbBytes: number;
  /** Free space of the data directory's file system, as a fraction of its size. */
  minFreeRatio: number;
}

export const SEED_THRESHOLDS: DiskThresholds = {
  localDbBytes: 500 * MB,
  gatewayDbBytes: 1024 * MB,
  minFreeRatio: 0.1,
};

/** The seed's table, word for word. */
export const SEED_ACTIONS = {
  'local.db': 'Run cleanup, reduce AUDIT_RETENTION_DAYS',
  'gateway.db': 'Prune traffic log, reduce retention',
  free_space: 'Immediate cleanup. See Failure Modes for disk-full behavior.',
} as const;

export type DatabaseName = 'local.db' | 'gateway.db';

export interface WatchedDatabase {
  name: DatabaseName;
  path: string;
  /** Row counts of its big tables (cheap: from the id range; see docs/operations.md). */
  rows(): Record<string, number>;
  autoVacuum(): string;
}

export interface DatabaseReport {
  bytes: number; // main file + WAL
  wal_bytes: number;
  max_bytes: number;
  rows: Record<string, number>;
  auto_vacuum: string;
}

export interface StorageWarning {
  check: DatabaseName | 'free_space';
  message: string;
  action: string;
}

export interface StorageReport {
  status: 'ok' | 'warning';
  checked_at: string;
  databases: Partial<Record<DatabaseName, DatabaseReport>>;
  data_dir: {
    path: string;
    free_bytes: number;
    total_bytes: number;
    free_ratio: number;
    min_free_ratio: number;
  };
  warnings: StorageWarning[];
}

export interface DiskWatchOptions {
  dataDir: string;
  databases: WatchedDatabase[];
  /** Read at every check (tests change them between checks). */
  thresholds: () => DiskThresholds;
  logger: Logger;
  now: () => Date;
}

export class DiskWatch {
  readonly #opts: DiskWatchOptions;
  #last: StorageReport | undefined;
  #active = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: DiskWatchOptions) {
    this.#opts = opts;
  }

  /** Checks now (sizes, free space, row counts) and logs what crossed a threshold since the last check. */
  check(): StorageReport {
    const { logger } = this.#opts;
    const thresholds = this.#opts.thresholds();
    const warnings: StorageWarning[] = [];
    const databases: StorageReport['databases'] = {};
    for (const db of this.#opts.databases) {
      const main = fileSize(db.path);
      const wal = fileSize(`${db.path}-wal`);
      const max = db.name === 'local.db' ? thresholds.localDbBytes : thresholds.gatewayDbBytes;
      let rows: Record<string, number> = {};
      try {
        rows = db.rows();
      } catch (err) {
        logger.debug({ err, database: db.name }, 'row counts unavailable');
      }
      databases[db.name] = {
        bytes: main + wal,
        wal_bytes: wal,
        max_bytes: max,
        rows,
        auto_vacuum: db.autoVacuum(),
      };
      if (main + wal > max)
        warnings.push({
          check: db.name,
          message: `${db.name} is ${formatBytes(main + wal)} (over ${formatBytes(max)})`,
          action: SEED_ACTIONS[db.name],
        });
    }
    const fs = statfsSync(this.#opts.dataDir);
    const total = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    const ratio = total > 0 ? free / total : 1;
    if (ratio < thresholds.minFreeRatio)
      warnings.push({
        check: 'free_space',
        message: `the data directory's file system has ${formatBytes(free)} free (${(ratio * 100).toFixed(1)} %, under ${thresholds.minFreeRatio * 100} %)`,
        action: SEED_ACTIONS.free_space,
      });
    const now = new Set<string>(warnings.map((w) => w.check));
    for (const w of warnings)
      if (!this.#active.has(w.check))
        logger.warn({ check: w.check, action: w.action }, `storage: ${w.message}`);
    for (const check of this.#active)
      if (!now.has(check)) logger.info({ check }, `storage: ${check} is back under its threshold`);
    this.#active = now;
    this.#last = {
      status: warnings.length > 0 ? 'warning' : 'ok',
      checked_at: this.#opts.now().toISOString(),
      databases,
      data_dir: {
        path: this.#opts.dataDir,
        free_bytes: free,
        total_bytes: total,
        free_ratio: Math.round(ratio * 10_000) / 10_000,
        min_free_ratio: thresholds.minFreeRatio,
      },
      warnings,
    };
    return this.#last;
  }

  /** The last report (checking now if there is none yet). */
  report(): StorageReport {
    return this.#last ?? this.check();
  }

  /** The report as one role shows it: its own database(s), the data directory, their warnings. */
  reportFor(names: readonly DatabaseName[]): StorageReport {
    const r = this.report();
    const databases: StorageReport['databases'] = {};
    for (const n of names) if (r.databases[n]) databases[n] = r.databases[n];
    const warnings = r.warnings.filter((w) => w.check === 'free_space' || names.includes(w.check));
    return {
      ...r,
      status: warnings.length > 0 ? 'warning' : 'ok',
      databases,
      warnings,
    };
  }

  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      try {
        this.check();
      } catch (err) {
        this.#opts.logger.error({ err }, 'storage check failed');
      }
    }, intervalMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * MB) return `${(n / (1024 * MB)).toFixed(1)} GB`;
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${n} B`;
}
