// A real PostgreSQL server for tests: initdb in a temporary directory, listening only on a Unix
// socket in that directory (no port to collide with), stopped and deleted by stop(). initdb and the
// server refuse to run as root, so under root they run as the `postgres` account Debian's package
// creates (else `nobody`), through setpriv.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** postgres:// URL of the server's `postgres` database (superuser `tameflare`, trust auth over the socket). */
  readonly url: string;
  readonly dir: string;
  /** Stops the server (fast shutdown); the files stay, so start() brings it back. */
  stop(): void;
  start(): void;
  /** Stops it and deletes its directory. */
  destroy(): void;
}

/** The directory holding initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'pg_ctl')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** Why a PostgreSQL server cannot be started here, or undefined when it can. */
export function postgresUnavailableReason(): string | undefined {
  if (!findPostgresBin())
    return 'PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)';
  if (userInfo().uid === 0 && !runAsAccount()) return 'running as root without a postgres or nobody account';
  return undefined;
}

function runAsAccount(): { uid: number; gid: number } | undefined {
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0)
      return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  return undefined;
}

export function startPostgresServer(): PostgresServer {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresUnavailableReason());
  const dir = mkdtempSync(join(tmpdir(), 'tf-pg-'));
  const data = join(dir, 'data');
  const account = userInfo().uid === 0 ? runAsAccount() : undefined;
  if (userInfo().uid === 0 && !account) throw new Error(postgresUnavailableReason());
  if (account) chownSync(dir, account.uid, account.gid);
  const run = (tool: string, args: string[]) => {
    const command = account
      ? [
          'setpriv',
          `--reuid=${account.uid}`,
          `--regid=${account.gid}`,
          '--clear-groups',
          '--',
          join(bin, tool),
        ]
      : [join(bin, tool)];
    execFileSync(command[0]!, [...command.slice(1), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    });
  };
  run('initdb', ['-D', data, '-U', 'tameflare', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  // Durability is not under test here: no fsync keeps a busy shared machine fast.
  const options = [
    `-k ${dir}`,
    "-c listen_addresses=''",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  const stop = () => {
    if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  start();
  return {
    url: `postgres://tameflare@localhost/postgres?host=${encodeURIComponent(dir)}`,
    dir,
    start,
    stop,
    destroy() {
      try {
        stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
