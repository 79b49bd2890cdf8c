// Shared set-up for the `run --isolate` tests: a local HTTPS "api.github.com" behind the spawned
// daemon (as in test/e2e/run-clients.test.ts), an agent allowed to use it, a way to start
// `tameflare run --isolate` without waiting for it, and the checks that nothing of an isolated run
// is left behind (no process in its network namespace, no open handle on it, no private directory).
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { checkIsolation } from '../../src/agent-env/isolate/isolation-support.js';
import { cliFor } from '../cli/cli-harness.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import {
  BIN,
  type DaemonProcess,
  minimalEnv,
  REPO_ROOT,
  startDaemonProcess,
} from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpServer, startHttpsServer } from '../helpers/test-ca.js';

/** Probed once per file: the tests skip, with the reason in their title, where namespaces are missing. */
export const support = await checkIsolation(process.env);
export const skipReason = support.available ? '' : ` (skipped: ${support.reason}; ${support.fix})`;

export const AGENT = 'iso-bot';

export interface IsolateWorld {
  work: string;
  token: string;
  api: FakeUpstream;
  apiServer: RunningServer<Server>;
  /** A plain-HTTP upstream for http://plain.test, behind a generic connector. */
  plain: FakeUpstream;
  plainToken: string;
  daemon: DaemonProcess;
  cli: ReturnType<typeof cliFor>;
  close(): Promise<void>;
}

/** Starts a world before the file's tests (when `when`) and closes it after; returns its getter. */
export function useWorld(when: boolean = support.available): () => IsolateWorld {
  let world: IsolateWorld | undefined;
  beforeAll(async () => {
    if (when) world = await startWorld();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });
  return () => {
    if (!world) throw new Error('no isolate world: isolation is unavailable here');
    return world;
  };
}

export async function startWorld(): Promise<IsolateWorld> {
  const work = mkdtempSync(join(tmpdir(), 'tf-isolate-'));
  const token = `ghp_ISOLATE_${Date.now().toString(36)}abcdef`;
  const ca = await createTestCa();
  writeFileSync(join(work, 'upstream-ca.pem'), ca.certPem);
  const api = createFakeUpstream('api.github.com');
  const apiServer = await startHttpsServer(api.handler, { hosts: ['api.github.com'], ca });
  const plain = createFakeUpstream('plain.test');
  const plainServer = await startHttpServer(plain.handler);
  const plainToken = `plain_ISOLATE_${Date.now().toString(36)}`;
  const daemon = await startDaemonProcess({
    args: [
      '--upstream-ca',
      join(work, 'upstream-ca.pem'),
      '--connect-to',
      `api.github.com:443:127.0.0.1:${apiServer.port}`,
      '--connect-to',
      `plain.test:80:127.0.0.1:${plainServer.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
  });
  const cli = cliFor(daemon);
  const steps = [
    { args: ['agent', 'add', AGENT, '--json'] },
    { args: ['connector', 'add', 'github', '--token-stdin'], input: `${token}\n` },
    { args: ['permissions', 'preset', '--agent', AGENT, '--connector', 'github', 'allow-all'] },
    {
      // An internal host without TLS: its credential is injected over http:// only with --allow-cleartext.
      args: [
        'connector',
        'add',
        'generic',
        '--name',
        'plain',
        '--domains',
        'plain.test',
        '--allow-cleartext',
        '--token-stdin',
      ],
      input: `${plainToken}\n`,
    },
    { args: ['permissions', 'preset', '--agent', AGENT, '--connector', 'plain', 'allow-all'] },
  ];
  for (const step of steps) {
    const r = await cli(step.args, step.input === undefined ? {} : { input: step.input });
    if (r.code !== 0) throw new Error(`${step.args.join(' ')} failed: ${r.stderr}`);
  }
  return {
    work,
    token,
    api,
    apiServer,
    plain,
    plainToken,
    daemon,
    cli,
    async close() {
      await daemon.stop();
      await apiServer.close();
      await plainServer.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** `tameflare run --isolate --agent iso-bot -- ARGS`, started and left running. */
export function spawnIsolated(
  world: IsolateWorld,
  args: string[],
  opts: { detached?: boolean; env?: Record<string, string> } = {},
): ChildProcess {
  return spawn(process.execPath, [BIN, 'run', '--isolate', '--agent', AGENT, '--', ...args], {
    cwd: world.work,
    env: minimalEnv({
      TAMEFLARE_URL: world.daemon.controlUrl,
      TAMEFLARE_DATA_DIR: world.daemon.dataDir,
      ...opts.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
}

export interface Collected {
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line starting with `prefix`. */
  line(prefix: string): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function collect(child: ChildProcess): Collected {
  let out = '';
  let err = '';
  const waiters: Array<{ prefix: string; resolve(line: string): void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const found = out.split('\n').find((l) => l.startsWith(w.prefix));
      if (found !== undefined && out.includes(`${found}\n`)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(found);
      }
    }
  };
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    check();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    stdout: () => out,
    stderr: () => err,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        check();
        void exit.then(({ code }) =>
          reject(new Error(`exited (${code}) before printing ${prefix}\nstdout:\n${out}\nstderr:\n${err}`)),
        );
      }),
    exit,
  };
}

/**
 * A shell script for the isolated child: prints `READY <netns> <private dir>` (the directory of the
 * relay socket, the last argument of process 1, the bridge), leaves a background process behind (a
 * daemon the agent started) and then runs `tail`.
 */
export function readyScript(tail: string): string[] {
  return [
    'sh',
    '-c',
    'sock=$(tr "\\0" "\\n" < /proc/1/cmdline | tail -n 1); ' +
      `echo "READY $(readlink /proc/self/ns/net) $(dirname "$sock")"; sleep 1000 & ${tail}`,
  ];
}

/** `READY net:[…] /tmp/…` → its parts. */
export function parseReady(line: string): { netns: string; privateDir: string } {
  const [, netns, privateDir] = line.split(' ');
  if (!netns?.startsWith('net:[') || !privateDir) throw new Error(`unexpected ready line: ${line}`);
  return { netns, privateDir };
}

/**
 * Everything that still refers to an isolated run: processes in its network namespace or holding a
 * handle on it (a namespace lives as long as either does; its listeners with it), processes whose
 * command line names its private directory (the bridge, unshare), and the directory itself.
 */
export function leftovers(netns: string, privateDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    const link = (path: string) => {
      try {
        return readlinkSync(path);
      } catch {
        return '';
      }
    };
    if (link(`/proc/${pid}/ns/net`) === netns) found.push(`process ${pid} in ${netns}`);
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      // gone, or not ours
    }
    if (fds.some((fd) => link(`/proc/${pid}/fd/${fd}`) === netns))
      found.push(`process ${pid} holds ${netns}`);
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(privateDir)) found.push(`process ${pid}: ${cmdline}`);
    } catch {
      // gone
    }
  }
  if (existsSync(privateDir)) found.push(`directory ${privateDir}`);
  return found;
}

export { REPO_ROOT };
