// `tameflare run --isolate`: the agent's command runs in new user, network, mount and PID namespaces
// whose only way out is the gateway.
//
// Threat model: the command may ignore proxy variables, hard-code addresses, speak other protocols or
// try to read the agent's key. Inside there is only a loopback interface (every address routed to it),
// the bridge's listeners (DNS, 80, 443) and the relay's Unix socket; everything else is refused at
// once and reported. The key stays in this process: the bridge and the command get a proxy URL without
// credentials. The command runs in a nested user namespace without capabilities over the network or
// the mounts, cannot see this process (PID namespace, private /proc), and finds the data directory
// covered by a read-only tmpfs holding only its certificates (no key, token or database). Not covered: Unix sockets in the file system
// (a Docker socket, an SSH agent) remain reachable; files the user can read remain readable.
//
// Lifetime: see bridge-main.ts. This process waits for `unshare` (the bridge's parent, outside) to
// exit, which happens only once the whole PID namespace is gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as os, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { type ChildResult, ChildStartError, FORWARDED, FROM_KEYBOARD } from '../run-child.js';
import { gatewayFromProxyUrl } from './gateway-tunnel.js';
import {
  explainNamespaceFailure,
  IsolationError,
  locateIsolationTools,
  namespaceArgs,
  readSystemFacts,
} from './isolation-support.js';
import { Relay } from './relay.js';
import { type BridgeConfig, type BridgeEvent, PRIVATE_DIR_PREFIX } from './relay-protocol.js';

export interface IsolatedRunInput {
  command: string;
  args: string[];
  /** The child's whole environment: secrets removed, the agent's variables for ISOLATED_PROXY_URL added. */
  env: Record<string, string>;
  /** The agent's proxy URL with its credentials: used here, never passed inside. */
  proxyUrl: string;
  /** The data directory: covered inside, but for its certificates. */
  dataDir: string;
  /** Where the bridge's own complaints go (the command's stderr is passed through untouched). */
  stderr: NodeJS.WritableStream;
}

/** The port inside the namespace where plain HTTP and the child's proxy variables arrive. */
export const INSIDE_HTTP_PORT = 80;
/** What the child's proxy variables name: the bridge, without credentials (the relay adds them). */
export const ISOLATED_PROXY_URL = `http://127.0.0.1:${INSIDE_HTTP_PORT}`;
const POLL_MS = 1000;
const REPORT_FLUSH_MS = 5000;

/** Runs the command isolated and resolves with how it ended; rejects with IsolationError if it cannot. */
export async function runIsolated(input: IsolatedRunInput): Promise<ChildResult> {
  const tools = locateIsolationTools(input.env['PATH']);
  const privateDir = makePrivateDir();
  try {
    const config = prepare(input, tools, privateDir);
    return await supervise(input, config, join(privateDir, 'relay.sock'));
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
}

/** 0700, and short enough a path for a Unix socket (108 bytes) even with a long TMPDIR. */
function makePrivateDir(): string {
  const base = join(tmpdir(), PRIVATE_DIR_PREFIX).length < 80 ? tmpdir() : '/tmp';
  return mkdtempSync(join(base, PRIVATE_DIR_PREFIX));
}

function prepare(input: IsolatedRunInput, tools: BridgeConfig['tools'], privateDir: string): BridgeConfig {
  const resolvConf = join(privateDir, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 127.0.0.1\n');
  return {
    t: 'config',
    command: input.command,
    args: input.args,
    env: input.env,
    cwd: process.cwd(),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    tools,
    resolvConf,
    dataDir: input.dataDir,
    httpPort: INSIDE_HTTP_PORT,
    pollMs: POLL_MS,
  };
}

async function supervise(
  input: IsolatedRunInput,
  config: BridgeConfig,
  socketPath: string,
): Promise<ChildResult> {
  let outcome: Extract<BridgeEvent, { t: 'exit' | 'fail' }> | undefined;
  let started = false;
  const relay = new Relay({
    socketPath,
    gateway: gatewayFromProxyUrl(input.proxyUrl),
    config,
    onEvent: (event) => {
      if (event.t === 'ready') started = true;
      else if (event.t !== 'bypass') outcome ??= event;
    },
  });
  await relay.start();

  // As in runChild: handlers go in before the spawn, and keyboard signals are not passed on when the
  // terminal already delivered them to the command (same foreground process group).
  const sharesTerminal = isatty(0);
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of FORWARDED) {
    const handler = () => {
      if (!(sharesTerminal && FROM_KEYBOARD.has(signal))) relay.signal(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  let stderr = '';
  try {
    const outer = spawn(
      config.tools.unshare,
      [...namespaceArgs(), '--', process.execPath, bridgePath(), socketPath],
      // No NODE_OPTIONS (the preload is for the command, not the bridge); fd 3 carries our stderr in
      // for the command, while the bridge's and unshare's own output comes back here.
      { env: { PATH: input.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['inherit', 'inherit', 'pipe', 2] },
    );
    outer.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (started) {
        input.stderr.write(stderr.replace(/^(?=.)/gm, 'tameflare: isolate: '));
        stderr = '';
      }
    });
    const ended = await exited(outer);
    await relay.reporter.flush(REPORT_FLUSH_MS);
    if (started && stderr) input.stderr.write(stderr.replace(/^(?=.)/gm, 'tameflare: isolate: '));
    if (outcome?.t === 'exit') return childResult(outcome.code, outcome.signal);
    if (outcome?.t === 'fail' && outcome.about === 'command') {
      throw new ChildStartError(outcome.reason, outcome.exitCode === 127 ? 127 : 126);
    }
    if (outcome?.t === 'fail') throw new IsolationError(outcome.reason, undefined, outcome.exitCode);
    // unshare passes on SIGINT and SIGTERM but dies of the others (SIGHUP when the terminal closes);
    // the bridge and everything inside die with it, of that signal in effect.
    if (started && ended.signal) return childResult(null, ended.signal);
    if (started)
      throw new IsolationError(
        `the isolation bridge stopped unexpectedly (${describe(ended)})`,
        undefined,
        1,
      );
    if (relay.bridgeConnected) {
      throw new IsolationError(
        `the isolation bridge failed (${errorLine(stderr) ?? describe(ended)})`,
        undefined,
        1,
      );
    }
    throw explainNamespaceFailure(stderr, readSystemFacts());
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    await relay.close();
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (err) =>
      reject(new IsolationError(`cannot start unshare: ${err.message}`, undefined)),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function childResult(code: number | null, signal: string | null): ChildResult {
  if (signal) {
    const number = os.signals[signal as NodeJS.Signals];
    return { exitCode: number === undefined ? 1 : 128 + number, signal: signal as NodeJS.Signals };
  }
  return { exitCode: code ?? 1, signal: null };
}

function describe(end: { code: number | null; signal: NodeJS.Signals | null }): string {
  return end.signal ? `signal ${end.signal}` : `exit code ${end.code}`;
}

/** The line of a Node crash report that says what went wrong (`TypeError: …`). */
function errorLine(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .find((line) => /^\w*Error\b/.test(line.trim()))
    ?.trim();
}

function bridgePath(): string {
  return fileURLToPath(new URL('./bridge-main.js', import.meta.url));
}
