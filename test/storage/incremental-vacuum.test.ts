// The one-time switch of a database made before incremental vacuum: a small file is switched at
// start-up (one VACUUM, before serving); a large one is left as it is, with a warning naming the
// command that switches it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureIncrementalVacuum } from '../../src/daemon/upkeep/incremental-vacuum.js';
import { openSqlite } from '../../src/storage/open-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A gateway.db as an older version made it: auto_vacuum NONE, some rows. */
function olderFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tf-vacuum-'));
  dirs.push(dir);
  const path = join(dir, 'gateway.db');
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  raw.exec('CREATE TABLE traffic_log (id INTEGER PRIMARY KEY, path TEXT)');
  const insert = raw.prepare('INSERT INTO traffic_log (path) VALUES (?)');
  raw.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(`/some/path/${i}/${'x'.repeat(100)}`);
  })();
  expect(raw.pragma('auto_vacuum', { simple: true })).toBe(0);
  raw.close();
  return path;
}

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)) as { level: number; msg: string });
        done();
      },
    }),
  );
  return { logger, lines };
}

describe('incremental vacuum', () => {
  it('is on for a new file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-vacuum-'));
    dirs.push(dir);
    const raw = openSqlite(join(dir, 'new.db'));
    raw.exec('CREATE TABLE t (x)');
    expect(raw.pragma('auto_vacuum', { simple: true })).toBe(2);
    raw.close();
  });

  it('switches a small older file once at start-up, keeping its rows', () => {
    const path = olderFile();
    const raw = openSqlite(path);
    const { logger, lines } = capture();
    expect(ensureIncrementalVacuum(raw, path, logger)).toBe('incremental');
    expect(raw.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(raw.prepare('SELECT COUNT(*) AS n FROM traffic_log').get()).toEqual({ n: 2000 });
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/switched the database to incremental vacuum/),
    ]);
    // Already switched: nothing more to do, nothing logged.
    expect(ensureIncrementalVacuum(raw, path, logger)).toBe('incremental');
    expect(lines).toHaveLength(1);
    // Deleted rows' pages now go back to the file system in small steps.
    raw.exec('DELETE FROM traffic_log');
    expect(raw.pragma('freelist_count', { simple: true })).toBeGreaterThan(0);
    raw.pragma('incremental_vacuum(1000000)');
    expect(raw.pragma('freelist_count', { simple: true })).toBe(0);
    raw.close();
  });

  it('leaves a large older file alone and says how to switch it', () => {
    const path = olderFile();
    const raw = openSqlite(path);
    const { logger, lines } = capture();
    expect(ensureIncrementalVacuum(raw, path, logger, 1024)).toBe('none');
    expect(raw.pragma('auto_vacuum', { simple: true })).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/tameflare prune --days N --vacuum/) }),
    ]);
    raw.close();
    // `prune --vacuum` opens the file the same way and runs VACUUM: that switches it.
    const again = openSqlite(path);
    again.exec('VACUUM');
    expect(again.pragma('auto_vacuum', { simple: true })).toBe(2);
    again.close();
  });
});
