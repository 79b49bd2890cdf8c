// Storage that looks after itself (issue 17): automatic retention of the traffic log (gateway) and
// the audit log (control plane) in the background, incremental vacuum, and the disk watch behind
// /health and /metrics. Built by the composition root for the roles this process runs.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AnchorKeys } from '../../audit/anchor.js';
import type { Config } from '../../config/config.js';
import type { TrafficLogWriter } from '../../gateway/traffic-log/traffic-log-writer.js';
import type { ControlDatabase } from '../../storage/control-database.js';
import type { GatewayDatabase } from '../../storage/gateway-schema.js';
import type { OpenedDatabase } from '../../storage/open-database.js';
import type { GatewayRetentionView, RetentionSource } from '../../wire/retention.js';
import { auditRetention } from './audit-retention.js';
import {
  type DatabaseName,
  type DiskThresholds,
  DiskWatch,
  SEED_THRESHOLDS,
  type WatchedDatabase,
} from './disk-watch.js';
import { type AutoVacuumMode, autoVacuumMode, ensureIncrementalVacuum } from './incremental-vacuum.js';
import { type RetentionTarget, type SweepReport, sweep } from './retention-sweep.js';
import { registerStorageMetrics } from './storage-metrics.js';
import { trafficRetention } from './traffic-retention.js';
import { sweepView } from './traffic-retention-in-force.js';

/** Timings and thresholds: defaults for operation, injectable for tests (no 500 MB files there). */
export interface StorageUpkeepOptions {
  /** Between retention sweeps (default 10 minutes). */
  sweepIntervalMs?: number | undefined;
  /** Before the first sweep after start (default 30 s). */
  firstSweepMs?: number | undefined;
  /** Time budget of one chunk (default 5 ms). */
  chunkBudgetMs?: number | undefined;
  /** Between disk checks (default 60 s). */
  checkIntervalMs?: number | undefined;
  /** Read at every check, so a test may change them between checks. */
  thresholds?: Partial<DiskThresholds> | undefined;
}

export interface StorageUpkeepInputs {
  config: Config;
  dataDir: string;
  logger: Logger;
  now: () => Date;
  registry: Registry;
  gateway?:
    | {
        db: OpenedDatabase<GatewayDatabase>;
        writer: Pick<TrafficLogWriter, 'pruneChunk' | 'health'>;
        /** The traffic-log retention in force, read at every sweep: the daemon's own setting, else
         * the control plane's (it may change while the daemon runs). Default: the configured days. */
        retention?: (() => { days: number; source: RetentionSource }) | undefined;
      }
    | undefined;
  control?:
    | {
        db: ControlDatabase;
        /** The signing keys for retention anchors (see src/audit/anchor.ts); none: no audit retention. */
        keys: AnchorKeys | undefined;
      }
    | undefined;
  options?: StorageUpkeepOptions | undefined;
}

export interface StorageUpkeep {
  /** What a role adds to its /health: `storage` (sizes, free space, rows, warnings, retention). */
  health(role: 'gateway' | 'control'): {
    storage: Record<string, unknown> & { status: 'ok' | 'warning' };
  };
  /** The gateway's traffic-log retention and last sweep, as it reports them to its control plane. */
  trafficRetention(): GatewayRetentionView | undefined;
  /** Runs one retention sweep of every table now (after any sweep in progress). */
  sweepNow(): Promise<SweepReport[]>;
  /** Checks the disk now. */
  checkNow(): void;
  start(): void;
  close(): Promise<void>;
}

export function createStorageUpkeep(inputs: StorageUpkeepInputs): StorageUpkeep {
  const { config, logger, now, options = {} } = inputs;
  const log = logger.child({ component: 'storage' });
  const targets: RetentionTarget[] = [];
  const watched: WatchedDatabase[] = [];
  const vacuumModes = new Map<DatabaseName, AutoVacuumMode>();
  // Re-read at every disk check: `prune --vacuum` may switch a file while the daemon runs.
  const refreshMode = (name: DatabaseName, raw: import('better-sqlite3').Database): AutoVacuumMode => {
    const mode = autoVacuumMode(raw);
    vacuumModes.set(name, mode);
    return mode;
  };
  const tables: Record<string, { days: number; source?: RetentionSource; last_sweep: SweepReport | null }> =
    {};
  let trafficRetentionInForce: (() => { days: number; source: RetentionSource }) | undefined;

  if (inputs.gateway) {
    const { db, writer } = inputs.gateway;
    vacuumModes.set('gateway.db', ensureIncrementalVacuum(db.raw, db.path, log));
    const rangeOf = idRange(db.raw, ['traffic_log', 'outbox']);
    watched.push({
      name: 'gateway.db',
      path: db.path,
      rows: rangeOf,
      autoVacuum: () => refreshMode('gateway.db', db.raw),
    });
    const inForce =
      inputs.gateway.retention ?? (() => ({ days: config.trafficRetentionDays, source: 'daemon' as const }));
    trafficRetentionInForce = inForce;
    tables.traffic_log = { ...inForce(), last_sweep: null };
    // Always a target: a retention of 0 (keep everything) may be replaced while the daemon runs.
    targets.push(
      trafficRetention(writer, {
        days: () => inForce().days,
        pageSize: db.raw.pragma('page_size', { simple: true }) as number,
        incremental: () => vacuumModes.get('gateway.db') === 'incremental',
      }),
    );
  }
  if (inputs.control) {
    const { db, keys } = inputs.control;
    // SQLite only: on PostgreSQL (TAMEFLARE_DATABASE_URL) there is no local file to watch or vacuum.
    const raw = db.raw;
    if (raw) {
      vacuumModes.set('local.db', ensureIncrementalVacuum(raw, db.location, log));
      watched.push({
        name: 'local.db',
        path: db.location,
        rows: idRange(raw, ['audit_events']),
        autoVacuum: () => refreshMode('local.db', raw),
      });
    }
    tables.audit_events = { days: config.auditRetentionDays, last_sweep: null };
    // Pruning writes a signed anchor: without the signing key there is no audit retention.
    if (config.auditRetentionDays > 0 && keys)
      targets.push(
        auditRetention(db.db, {
          days: config.auditRetentionDays,
          keys,
          now,
          pageSize: raw ? (raw.pragma('page_size', { simple: true }) as number) : 0,
          incremental: () => vacuumModes.get('local.db') === 'incremental',
        }),
      );
  }

  const watch = new DiskWatch({
    dataDir: inputs.dataDir,
    databases: watched,
    thresholds: () => ({ ...SEED_THRESHOLDS, ...options.thresholds }),
    logger: log,
    now,
  });
  const gatewayWriter = inputs.gateway?.writer;
  const metrics = registerStorageMetrics(
    inputs.registry,
    () => watch.report(),
    gatewayWriter ? () => gatewayWriter.health().dropped : undefined,
  );
  const budgetMs = options.chunkBudgetMs ?? 5;
  let stopped = false;
  let running: Promise<SweepReport[]> = Promise.resolve([]);
  let timer: NodeJS.Timeout | undefined;

  async function sweepAll(): Promise<SweepReport[]> {
    const reports: SweepReport[] = [];
    for (const target of targets) {
      if (stopped) break;
      if (target.days <= 0) continue; // 0 keeps everything
      const report = await sweep(target, {
        now: now(),
        budgetMs,
        stopped: () => stopped,
        onChunk: (table, out) => {
          metrics.deleted.inc({ table }, out.deleted);
          metrics.chunkSeconds.observe({ table }, out.ms / 1000);
        },
      });
      tables[target.table] = { ...tables[target.table], days: target.days, last_sweep: report };
      reports.push(report);
      if (report.error) log.warn({ ...report }, `${target.table} retention stopped: ${report.error}`);
      else if (report.deleted > 0 || report.freed_bytes > 0)
        log.info(
          {
            table: report.table,
            deleted: report.deleted,
            chunks: report.chunks,
            freed_bytes: report.freed_bytes,
            max_chunk_ms: Math.round(report.max_chunk_ms * 100) / 100,
            cutoff: report.cutoff,
          },
          'retention removed old rows',
        );
    }
    if (reports.some((r) => r.deleted > 0)) watch.check();
    return reports;
  }

  function sweepNow(): Promise<SweepReport[]> {
    // One sweep at a time: a new one starts after the one in progress.
    running = running.then(sweepAll, sweepAll);
    return running;
  }

  function schedule(delay: number): void {
    if (stopped || targets.length === 0) return;
    timer = setTimeout(() => {
      sweepNow().then(
        () => schedule(options.sweepIntervalMs ?? 600_000),
        (err: unknown) => {
          log.error({ err }, 'retention sweep failed');
          schedule(options.sweepIntervalMs ?? 600_000);
        },
      );
    }, delay);
    timer.unref();
  }

  return {
    health(role) {
      const report = watch.reportFor(role === 'gateway' ? ['gateway.db'] : ['local.db']);
      const table = role === 'gateway' ? 'traffic_log' : 'audit_events';
      const retention = tables[table];
      // The traffic log's days are read now: the control plane may have changed them since the sweep.
      const current = role === 'gateway' && retention && trafficRetentionInForce?.();
      return { storage: { ...report, retention: retention ? { ...retention, ...current } : null } };
    },
    trafficRetention() {
      if (!trafficRetentionInForce) return undefined;
      return {
        ...trafficRetentionInForce(),
        last_sweep: sweepView(tables.traffic_log?.last_sweep),
        database_bytes: watch.report().databases['gateway.db']?.bytes ?? null,
      };
    },
    sweepNow,
    checkNow: () => {
      watch.check();
    },
    start() {
      watch.check();
      watch.start(options.checkIntervalMs ?? 60_000);
      schedule(options.firstSweepMs ?? 30_000);
    },
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      watch.close();
      await running.catch(() => undefined);
    },
  };
}

/** Row counts from the id range: exact while rows are only ever removed oldest first (retention). */
function idRange(
  raw: import('better-sqlite3').Database,
  tableNames: readonly string[],
): () => Record<string, number> {
  const statements = tableNames.map(
    (t) => [t, raw.prepare(`select coalesce(max(id) - min(id) + 1, 0) from ${t}`).pluck()] as const,
  );
  return () => Object.fromEntries(statements.map(([t, s]) => [t, Number(s.get())]));
}
