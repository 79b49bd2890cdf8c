// Disk full, for real: the daemon (`serve --role=all`, batched traffic log) runs with its data
// directory on a 16 MB tmpfs mounted in its own user + mount namespaces (`unshare -rm`), which the
// test reaches through /proc/PID/root. The file system is filled to the last byte while requests
// keep coming: every request is still answered, /health says the writes fail (and warns about free
// space), nothing is corrupted (PRAGMA integrity_check on both databases, while full and after), and
// once space returns the writer catches up by itself: no row and no action event is lost.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

const SIZE = '16m';
const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

/** Why this machine cannot make a small file system for the test, or undefined when it can. */
function cannotMount(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), 'tf-mount-probe-'));
  try {
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs "${probe}"`], {
      encoding: 'utf8',
    });
    if (r.error) return `unshare is not available (${r.error.message})`;
    if (r.status !== 0) return `cannot mount a tmpfs in a user namespace: ${r.stderr.trim()}`;
    if (spawnSync('nsenter', ['--version']).status !== 0) return 'nsenter is not available';
    return undefined;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const reason = process.platform === 'linux' ? cannotMount() : 'not Linux';
if (reason) console.warn(`disk-full test skipped: ${reason}`);

let daemon: DaemonProcess | undefined;
let mnt: string | undefined;
afterAll(async () => {
  await daemon?.stop();
  if (mnt) rmSync(mnt, { recursive: true, force: true });
});

let proxyAuth = '';

/** One request through the gateway as agent `bot` to a host no connector covers: refused (403) and logged. */
function request(gatewayUrl: string, path: string): Promise<number> {
  const { hostname, port } = new URL(gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: 'GET',
        path: `http://nowhere.test${path}`,
        headers: { host: 'nowhere.test', 'proxy-authorization': proxyAuth },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

type Health = {
  traffic_log_dropped?: number;
  status: string;
  db?: string;
  db_error?: string;
  storage?: { warnings: { check: string }[] };
};
const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as Health;

/**
 * One SQL query on a database inside the daemon's mount namespace. Not through /proc/PID/root:
 * SQLite resolves that magic link to "/" and would open (and create) a file in ours instead.
 */
function queryIn(pid: number, file: string, sql: string): unknown {
  const script = `const D = require(${JSON.stringify(SQLITE)}); const db = new D(process.argv[1]);
    process.stdout.write(JSON.stringify(db.prepare(process.argv[2]).pluck().get())); db.close();`;
  const r = spawnSync(
    'nsenter',
    ['-t', String(pid), '-U', '-m', '--preserve-credentials', process.execPath, '-e', script, file, sql],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0)
    throw new Error(`query in the daemon's namespace failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as unknown;
}

/** Writes zeros until the file system refuses: returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
  return written;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('disk full', () => {
  it('keeps serving, corrupts nothing and catches up by itself once space returns', async (ctx) => {
    if (reason) ctx.skip(reason);
    mnt = mkdtempSync(join(tmpdir(), 'tf-diskfull-'));
    const dir = mnt;
    daemon = await startDaemonProcess({
      dataDir: dir,
      wrap: (argv) => [
        'unshare',
        '-rm',
        'sh',
        '-c',
        `mount -t tmpfs -o size=${SIZE} tmpfs "$0" && exec "$@"`,
        dir,
        ...argv,
      ],
    });
    const d = daemon;
    // The daemon's view of its data directory (the tmpfs exists only in its mount namespace).
    const root = `/proc/${d.pid}/root${dir}`;
    const gatewayDb = join(dir, 'gateway.db');
    const localDb = join(dir, 'local.db');
    const query = (file: string, sql: string) => queryIn(d.pid, file, sql);
    const logged = () =>
      query(gatewayDb, "SELECT COUNT(*) FROM traffic_log WHERE path LIKE '/full/%'") as number;
    let sent = 0;
    const token = readFileSync(join(root, 'cli.token'), 'utf8').trim();
    const added = await fetch(`${d.controlUrl}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bot' }),
    });
    const { key } = (await added.json()) as { key: string };
    proxyAuth = `Basic ${Buffer.from(`bot:${key}`).toString('base64')}`;
    // The gateway learns of the agent through its configuration stream.
    await until('the agent on the gateway', async () =>
      (await request(d.gatewayUrl, '/probe')) === 403 ? true : undefined,
    );
    for (; sent < 5; sent++) expect(await request(d.gatewayUrl, `/full/${sent}`)).toBe(403);
    await until('the first rows', async () => (logged() === 5 ? true : undefined));

    const filled = fill(join(root, 'filler'));
    expect(filled).toBeGreaterThan(0);
    // Requests go on while gateway.db cannot grow: each one is answered, and /health says why.
    const degraded = await until(
      'the gateway to report failing writes',
      async () => {
        expect(await request(d.gatewayUrl, `/full/${sent++}`)).toBe(403);
        const h = await health(d.gatewayUrl);
        return h.status === 'degraded' ? h : undefined;
      },
      3000,
    );
    expect(degraded.db).toBe('degraded');
    expect(degraded.db_error).toMatch(/full/i);
    for (let i = 0; i < 20; i++) expect(await request(d.gatewayUrl, `/full/${sent++}`)).toBe(403);
    expect(logged()).toBeLessThan(sent); // what came in while full is still waiting in memory
    expect(query(gatewayDb, 'PRAGMA integrity_check')).toBe('ok');
    expect(query(localDb, 'PRAGMA integrity_check')).toBe('ok');

    // Space returns: the writer's retries succeed, the backlog is written, nothing was lost.
    unlinkSync(join(root, 'filler'));
    await until('the gateway to recover', async () => {
      const h = await health(d.gatewayUrl);
      return h.status !== 'degraded' ? true : undefined;
    });
    await until('every row', async () => (logged() === sent ? true : undefined));
    expect((await health(d.gatewayUrl)).traffic_log_dropped).toBe(0); // and the gateway says so
    // The seed's discrepancy check: every traffic row has its action event in the audit log.
    const rows = query(gatewayDb, 'SELECT COUNT(*) FROM traffic_log');
    await until('every action event', async () =>
      query(localDb, "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%'") === rows
        ? true
        : undefined,
    );
    expect(query(gatewayDb, 'PRAGMA integrity_check')).toBe('ok');
    expect(query(localDb, 'PRAGMA integrity_check')).toBe('ok');
    expect(d.logs()).toMatch(/gateway\.db write failed; retrying/);
    // The log line is on its way through the daemon's stdout pipe.
    await until('the recovery in the log', async () =>
      /gateway\.db writes succeed again/.test(d.logs()) ? true : undefined,
    );
    const { code } = await d.stop();
    expect(code).toBe(0);
  });
});
