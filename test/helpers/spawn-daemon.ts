// Starts the BUILT executable (`bin/tameflare serve`) as a child process on port 0 with a throwaway
// data dir, and reads the real addresses back from its "ready" log line. This is the daemon an
// operator runs, so CLI tests against it exercise the shipped wiring, not a test double.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropTestDatabase, testDatabaseEnv } from './postgres-schema.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO_ROOT, 'bin', 'tameflare');
const BUILT_MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export interface DaemonProcess {
  /** '' when the role runs no control plane. */
  controlUrl: string;
  /** '' when the role runs no gateway. */
  gatewayUrl: string;
  dataDir: string;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; removes a data dir this helper made. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  logs(): string;
}

export interface DaemonOptions {
  /** Extra `serve` arguments (after the defaults, so they win). */
  args?: string[];
  /** Extra environment (on top of a minimal one: PATH, HOME, LANG, TMPDIR). */
  env?: Record<string, string>;
  /** Use this data dir (kept on stop) instead of a new temporary one (removed on stop). */
  dataDir?: string;
  /** Runs the daemon through a wrapper: gets [node, ...args], returns the command line to spawn. */
  wrap?: (argv: string[]) => string[];
}

export function assertBuilt(): void {
  if (!existsSync(BUILT_MAIN)) {
    throw new Error(`${BUILT_MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  }
}

/** Only what a process needs to start, so a developer's own TAMEFLARE_* or proxy settings stay out. */
export function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * A dedicated-port range per daemon: test files run in parallel and `agent add` binds ports from
 * --agent-port-start upward, so each daemon gets its own stretch of high ports.
 */
function agentPortStart(): string {
  return String(20_000 + Math.floor(Math.random() * 400) * 100);
}

export async function startDaemonProcess(opts: DaemonOptions = {}): Promise<DaemonProcess> {
  assertBuilt();
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tf-daemon-'));
  const args = [
    BIN,
    'serve',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--gateway-port',
    '0',
    '--agent-port-start',
    agentPortStart(),
    ...(opts.args ?? []),
  ];
  const [command, ...argv] = opts.wrap ? opts.wrap([process.execPath, ...args]) : [process.execPath, ...args];
  // In the `postgres` test project a control plane runs on a schema of its own there, unless the
  // test chose its database itself.
  const extra = opts.args ?? [];
  const roleAt = extra.findLastIndex((a) => a === '--role' || a.startsWith('--role='));
  const role =
    roleAt < 0 ? 'all' : extra[roleAt]!.startsWith('--role=') ? extra[roleAt]!.slice(7) : extra[roleAt + 1];
  const runsControl = role !== 'gateway';
  const database =
    runsControl && opts.env?.TAMEFLARE_DATABASE_URL === undefined ? await testDatabaseEnv(dataDir) : {};
  const child = spawn(command!, argv, {
    cwd: dataDir,
    env: minimalEnv({ TAMEFLARE_LOG_LEVEL: 'info', ...database, ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const cleanup = async () => {
    if (!ownDir) return;
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestDatabase(dataDir);
  };

  let ready: { control: string; gateway: string };
  try {
    ready = await new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(
        () => reject(new Error(`daemon not ready after ${READY_TIMEOUT_MS} ms; output:\n${output}`)),
        READY_TIMEOUT_MS,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        pending += chunk.toString('utf8');
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          nl = pending.indexOf('\n');
          const found = readyLine(line);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`daemon exited (code ${code}, signal ${signal}) before ready; output:\n${output}`));
      });
    });
  } catch (err) {
    await terminate(child, exited);
    await cleanup();
    throw err;
  }

  let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  return {
    controlUrl: ready.control,
    gatewayUrl: ready.gateway,
    dataDir,
    pid: child.pid!,
    stop() {
      stopped ??= terminate(child, exited).then(async (result) => {
        await cleanup();
        return result;
      });
      return stopped;
    },
    logs: () => output,
  };
}

function readyLine(line: string): { control: string; gateway: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const rec = JSON.parse(line) as { msg?: string; control?: string; gateway?: string };
    // A single-role daemon reports only its own URL; the other stays ''.
    if (rec.msg === 'ready') return { control: rec.control ?? '', gateway: rec.gateway ?? '' };
  } catch {
    // not a log record
  }
  return undefined;
}

async function terminate(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
