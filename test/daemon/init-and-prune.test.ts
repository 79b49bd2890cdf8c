import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runTameflare } from '../helpers/cli-process.js';
import { startDaemonProcess } from '../helpers/spawn-daemon.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tf-init-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('tameflare init', () => {
  it('creates the data dir with owner-only keys, and a second run changes nothing', async () => {
    const dir = join(tempDir(), 'data');
    const first = await runTameflare(['init', '--data-dir', dir, '--admin-email', 'ops@example.com']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Owner account created: ops@example.com');
    expect(first.stdout).toMatch(/Password \(shown once, store it now\): \S{20,}/);
    expect(mode(dir)).toBe(0o700);
    for (const f of ['ca.key', 'master.key', 'signing.key', 'cli.token'])
      expect(mode(join(dir, f)), f).toBe(0o600);
    for (const f of ['local.db', 'gateway.db', 'ca.crt', 'ca-bundle.pem'])
      expect(statSync(join(dir, f)).isFile(), f).toBe(true);
    const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    expect(execFileSync('openssl', ['x509', '-noout', '-text'], { input: caPem, encoding: 'utf8' })).toMatch(
      /ASN1 OID: prime256v1[\s\S]*CA:TRUE/,
    );
    const bundle = readFileSync(join(dir, 'ca-bundle.pem'), 'utf8');
    expect(bundle).toContain(caPem.trim());
    expect(bundle.match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(50);

    const snapshot = ['ca.crt', 'ca.key', 'master.key', 'signing.key', 'cli.token'].map((f) =>
      readFileSync(join(dir, f), 'utf8'),
    );
    const second = await runTameflare(['init', '--data-dir', dir]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(`Nothing to do: ${dir} is already initialised.`);
    expect(
      ['ca.crt', 'ca.key', 'master.key', 'signing.key', 'cli.token'].map((f) =>
        readFileSync(join(dir, f), 'utf8'),
      ),
    ).toEqual(snapshot);
    const users = new Database(join(dir, 'local.db'), { readonly: true })
      .prepare('select email, role from users')
      .all();
    expect(users).toEqual([{ email: 'ops@example.com', role: 'owner' }]);
  });

  it('takes the owner password from TAMEFLARE_ADMIN_PASSWORD and never prints it', async () => {
    const dir = join(tempDir(), 'd');
    const r = await runTameflare(['init', '--data-dir', dir, '--json'], {
      env: { TAMEFLARE_ADMIN_PASSWORD: 'a-very-long-password-PLANTED' },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { created: string[]; owner: { email: string } };
    expect(out.owner.email).toBe('admin@localhost');
    expect(r.stdout + r.stderr).not.toContain('PLANTED');
  });

  it('does not need TAMEFLARE_MASTER_KEY on disk when it is in the environment', async () => {
    const dir = join(tempDir(), 'd');
    const r = await runTameflare(['init', '--data-dir', dir], {
      env: { TAMEFLARE_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(() => statSync(join(dir, 'master.key'))).toThrow();
  });
});

describe('tameflare prune', () => {
  function seed(dir: string) {
    const db = new Database(join(dir, 'gateway.db'));
    const insert = db.prepare(
      // Complete rows, as a gateway writes them (an open row would be closed as interrupted at start).
      "insert into traffic_log (request_id, method, host, path, decision, status, created_at, completed_at) values (?, 'GET', 'api.github.com', '/', 'allow', 200, ?, ?)",
    );
    const day = 86_400_000;
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < 12_000; i++) {
        const at = new Date(now - 45 * day - i * 1000).toISOString();
        insert.run(`old-${i}`, at, at);
      }
      for (let i = 0; i < 300; i++) {
        const at = new Date(now - 2 * day - i * 1000).toISOString();
        insert.run(`new-${i}`, at, at);
      }
    })();
    db.close();
  }
  const count = (dir: string, where: string) =>
    Number(
      execFileSync('sqlite3', [join(dir, 'gateway.db'), `select count(*) from traffic_log where ${where}`], {
        encoding: 'utf8',
      }),
    );

  it('removes rows older than N days in chunks and reports sizes, while the daemon runs', async () => {
    const dir = tempDir();
    expect((await runTameflare(['init', '--data-dir', dir])).code).toBe(0);
    seed(dir);
    const daemon = await startDaemonProcess({ dataDir: dir });
    try {
      const dry = await runTameflare(['prune', '--days', '30', '--dry-run', '--data-dir', dir, '--json']);
      expect(JSON.parse(dry.stdout)).toMatchObject({ rows_matched: 12_000, rows_removed: 0, dry_run: true });
      expect(count(dir, '1=1')).toBe(12_300);

      const r = await runTameflare(['prune', '--days', '30', '--data-dir', dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^removed 12000 traffic_log rows older than \d{4}-\d{2}-\d{2}$/m);
      expect(r.stdout).toMatch(/gateway\.db: [\d.]+ (KiB|MiB) before, [\d.]+ (KiB|MiB) after/);
      expect(count(dir, "created_at < date('now', '-30 days')")).toBe(0);
      expect(count(dir, '1=1')).toBe(300);
      // The daemon still answers: prune did not take its database away.
      expect((await fetch(`${daemon.gatewayUrl}/health`)).status).toBe(200);

      const v = await runTameflare(['prune', '--days', '1', '--vacuum', '--data-dir', dir, '--json']);
      const res = JSON.parse(v.stdout) as {
        rows_removed: number;
        size_before: number;
        size_after: number;
        vacuumed: boolean;
      };
      expect(res.rows_removed).toBe(300);
      expect(res.vacuumed).toBe(true);
      expect(res.size_after).toBeLessThan(res.size_before);
    } finally {
      await daemon.stop();
    }
    // Seven processes in series (init, the daemon, three prunes, sqlite3 checks): about 4 s on a quiet
    // machine, 25-30 s at a load of 25 on 2 cores, where `init` alone takes ~5 s (measured).
  }, 90_000);

  it('refuses a bad --days and a missing database with one line', async () => {
    const dir = tempDir();
    const bad = await runTameflare(['prune', '--days', 'thirty', '--data-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'tameflare: invalid --days "thirty": must be a whole number of days (0 to 36500)',
    );
    const none = await runTameflare(['prune', '--days', '3', '--data-dir', join(dir, 'nope')]);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toMatch(/^tameflare: no gateway\.db in .*: nothing to prune$/);
  });
});
