// local.db's write-ahead log is checkpointed by a thread of its own, never inside a commit on the
// event loop (src/storage/wal-checkpointer.ts), and checkpointed on commit again if that thread fails.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/storage/open-database.js';
import { BACKSTOP_PAGES, startWalCheckpointer } from '../../src/storage/wal-checkpointer.js';

const PAGE = 4096;

describe('the WAL checkpoint thread', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-wal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('copies committed pages into the database file while the writing connection does not checkpoint', async () => {
    const path = join(dir, 'local.db');
    const raw = openSqlite(path);
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const logs: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    const checkpointer = startWalCheckpointer(raw, path, logger, { intervalMs: 20 });
    const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
    const commitPages = (pages: number, fill: number) =>
      raw.transaction(() => {
        for (let j = 0; j < pages; j++) insert.run(Buffer.alloc(PAGE - 200, fill));
      })();
    try {
      expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
      const before = statSync(path).size;
      // 1,500 pages in 150 commits: past SQLite's usual 1,000-page threshold, which would have
      // checkpointed inside one of these commits, and below this connection's own threshold now.
      for (let i = 0; i < 150; i++) commitPages(10, i);
      // The database file grows only by checkpoints, and this connection made none.
      await until(() => statSync(path).size >= before + 1_500 * PAGE, 'the thread to checkpoint');
    } finally {
      await checkpointer.close();
    }
    // Closed: the connection checkpoints at SQLite's usual threshold again.
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    raw.close();
    expect(logs).toEqual([]);
  });

  it('keeps the log bounded under commits that never pause', async () => {
    const path = join(dir, 'local.db');
    const raw = openSqlite(path);
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const checkpointer = startWalCheckpointer(raw, path, pino({ level: 'silent' }));
    const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
    try {
      // 12,000 pages, six times the bound, in commits of 10 pages with the writer never idle: a
      // checkpoint of the thread then always overlaps a commit, after which the log cannot restart
      // (a new read must find it all copied). The connection's own checkpoint at the bound, run
      // between its commits, restarts it. Measured: at most 2,016-2,477 pages (a checkpoint of the
      // connection finds the thread's under way and gives up until its next commit); without the
      // bound (wal_autocheckpoint = 0) the log takes all 12,000.
      let largest = 0;
      for (let i = 0; i < 1_200; i++) {
        raw.transaction(() => {
          for (let j = 0; j < 10; j++) insert.run(Buffer.alloc(PAGE - 200, i));
        })();
        if (i % 100 === 0) largest = Math.max(largest, statSync(`${path}-wal`).size);
      }
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      // The log's header and each frame's: 32 bytes, then 24 + one page per frame.
      expect(largest).toBeLessThanOrEqual(32 + 3 * BACKSTOP_PAGES * (PAGE + 24));
      expect(raw.prepare('SELECT count(*) FROM t').pluck().get()).toBe(12_000);
    } finally {
      await checkpointer.close();
      raw.close();
    }
  });

  it('gives checkpoints back to the connection when the thread cannot run, and says so', async () => {
    const path = join(dir, 'local.db');
    const raw = openSqlite(path);
    const logs: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    // The thread opens its own connection: a path under a file that is not a directory fails.
    const checkpointer = startWalCheckpointer(raw, join(path, 'not-a-dir.db'), logger, { intervalMs: 20 });
    try {
      await until(() => raw.pragma('wal_autocheckpoint', { simple: true }) === 1000, 'the fallback');
      await until(() => logs.some((l) => l.includes('checkpoints on commit again')), 'the warning');
    } finally {
      await checkpointer.close();
      raw.close();
    }
  });
});
