// local.db's write-ahead log is checkpointed by a thread of its own, never inside a commit on the
// event loop (src/storage/wal-checkpointer.ts), and checkpointed on commit again if that thread fails.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/storage/open-database.js';
import { startWalCheckpointer } from '../../src/storage/wal-checkpointer.js';

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

  it('copies committed pages into the database file while the writing connection never checkpoints', async () => {
    const path = join(dir, 'local.db');
    const raw = openSqlite(path);
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const logs: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    const checkpointer = startWalCheckpointer(raw, path, logger, { intervalMs: 20 });
    try {
      expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const before = statSync(path).size;
      // 2,500 pages in 250 small commits: past SQLite's own 1,000-page threshold, which would have
      // checkpointed inside one of these commits on this connection.
      const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 250; i++) {
        raw.transaction(() => {
          for (let j = 0; j < 10; j++) insert.run(Buffer.alloc(PAGE - 200, i));
        })();
        if (i % 25 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      // The database file itself grows only by checkpoints, and this connection makes none.
      await until(() => statSync(path).size >= before + 2_000 * PAGE, 'the thread to checkpoint');
      // Once everything is copied, the next commit restarts the log from its beginning: the file
      // (which keeps its size) does not grow by what is written next.
      const walAfterBurst = statSync(`${path}-wal`).size;
      for (let i = 0; i < 100; i++) {
        raw.transaction(() => {
          for (let j = 0; j < 10; j++) insert.run(Buffer.alloc(PAGE - 200, i));
        })();
        await new Promise((r) => setTimeout(r, 2));
      }
      await until(() => statSync(path).size >= before + 3_000 * PAGE, 'the second checkpoint');
      expect(statSync(`${path}-wal`).size).toBeLessThan(walAfterBurst + 500 * PAGE);
      expect((raw.prepare('SELECT count(*) FROM t').pluck().get() as number) >= 3_500).toBe(true);
    } finally {
      await checkpointer.close();
    }
    // Closed: the connection checkpoints by itself again.
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    raw.close();
    expect(logs).toEqual([]);
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
