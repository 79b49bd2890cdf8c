// Space given back without a full VACUUM pause: files made by this version start in
// auto_vacuum=INCREMENTAL (open-database.ts), so retention frees pages in small steps
// (`PRAGMA incremental_vacuum(N)`). A file made before has auto_vacuum=NONE, and only a VACUUM can
// switch it: done once at start-up when the file is small enough for the pause not to matter
// (before any request is served), otherwise left to the operator (`tameflare prune --vacuum`, which
// switches it as it vacuums) and said in the log and in /health.
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { databaseSize } from '../../storage/prune-traffic-log.js';

export type AutoVacuumMode = 'none' | 'full' | 'incremental';

/** Files up to this size are switched at start-up (a VACUUM of 64 MB takes about a second). */
export const SWITCH_AT_START_MAX_BYTES = 64 * 1024 * 1024;

export function autoVacuumMode(raw: Database.Database): AutoVacuumMode {
  const mode = raw.pragma('auto_vacuum', { simple: true }) as number;
  return mode === 2 ? 'incremental' : mode === 1 ? 'full' : 'none';
}

/** Switches an older file to incremental auto-vacuum when it is small; returns the mode in force. */
export function ensureIncrementalVacuum(
  raw: Database.Database,
  path: string,
  logger: Logger,
  maxBytes = SWITCH_AT_START_MAX_BYTES,
): AutoVacuumMode {
  const mode = autoVacuumMode(raw);
  if (mode === 'incremental') return mode;
  const size = databaseSize(path);
  if (size > maxBytes) {
    logger.warn(
      { file: path, bytes: size },
      'this database predates incremental vacuum: retention deletes old rows but the file does not shrink; run `tameflare prune --days N --vacuum` once (a full VACUUM) to switch it',
    );
    return mode;
  }
  const started = performance.now();
  raw.pragma('auto_vacuum = INCREMENTAL');
  raw.exec('VACUUM');
  raw.pragma('wal_checkpoint(TRUNCATE)');
  const now = autoVacuumMode(raw);
  logger.info(
    {
      file: path,
      bytes: size,
      ms: Math.round(performance.now() - started),
      auto_vacuum: now,
    },
    'switched the database to incremental vacuum (one-time VACUUM at start-up)',
  );
  return now;
}
