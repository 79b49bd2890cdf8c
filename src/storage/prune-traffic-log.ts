// Deleting old traffic-log rows in small chunks, so a running gateway's writer is never blocked for
// long (each chunk is its own short transaction; WAL lets the gateway read meanwhile).
import { existsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

export interface PruneProgress {
  deleted: number;
  total: number;
}

export interface PruneResult {
  cutoff: string; // the seed's date('now', '-N days')
  matched: number;
  deleted: number;
  sizeBefore: number;
  sizeAfter: number;
  vacuumed: boolean;
  dryRun: boolean;
}

export function databaseSize(path: string): number {
  let size = 0;
  for (const p of [path, `${path}-wal`]) if (existsSync(p)) size += statSync(p).size;
  return size;
}

export async function pruneTrafficLog(
  raw: Database.Database,
  path: string,
  opts: {
    days: number;
    vacuum: boolean;
    dryRun: boolean;
    chunkSize?: number;
    onProgress?: (p: PruneProgress) => void;
  },
): Promise<PruneResult> {
  const chunk = opts.chunkSize ?? 5000;
  const sizeBefore = databaseSize(path);
  const { cutoff } = raw.prepare(`select date('now', ?) as cutoff`).get(`-${opts.days} days`) as {
    cutoff: string;
  };
  const { n: matched } = raw
    .prepare('select count(*) as n from traffic_log where created_at < ?')
    .get(cutoff) as {
    n: number;
  };
  let deleted = 0;
  if (!opts.dryRun && matched > 0) {
    const del = raw.prepare(
      'delete from traffic_log where id in (select id from traffic_log where created_at < ? order by id limit ?)',
    );
    for (;;) {
      const { changes } = del.run(cutoff, chunk);
      deleted += changes;
      opts.onProgress?.({ deleted, total: matched });
      if (changes < chunk) break;
      // Let the event loop (and a daemon sharing the file) breathe between chunks.
      await new Promise((r) => setImmediate(r));
    }
  }
  let vacuumed = false;
  if (opts.vacuum && !opts.dryRun) {
    raw.exec('vacuum');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    vacuumed = true;
  } else if (!opts.dryRun) {
    raw.pragma('wal_checkpoint(PASSIVE)');
  }
  return {
    cutoff,
    matched,
    deleted,
    sizeBefore,
    sizeAfter: databaseSize(path),
    vacuumed,
    dryRun: opts.dryRun,
  };
}
