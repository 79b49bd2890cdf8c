// The bridge: process 1 of the isolated namespaces, started by `tameflare run --isolate` through
// `unshare`. It prepares the network and mounts, starts the listeners, runs the agent's command in a
// nested user namespace (as the caller's uid, without capabilities over this namespace), reports
// bypass attempts and the command's end to the relay, and passes on signals from it.
//
// Lifetime: the relay's control connection is this process's lifeline. When it closes (`run` exited
// or was killed, even with SIGKILL), the bridge exits at once, and since it is process 1 of the PID
// namespace the kernel then kills everything left inside: nothing outlives `run`. When the command
// exits, the bridge reports and exits the same way, so no daemon the agent left behind survives it.
//
// Imports stay few and small: this file's start-up time is most of what `--isolate` costs.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname } from 'node:path';
import { type BypassSighting, startListeners } from './bridge-listeners.js';
import { findExecutable } from './find-executable.js';
import { SetupError, setUpNamespace } from './namespace-setup.js';
import { readRefusalCounters, refusalsSince } from './refusal-counters.js';
import {
  type BridgeConfig,
  type BridgeEvent,
  PRIVATE_DIR_PREFIX,
  readJsonLines,
  writeJsonLine,
} from './relay-protocol.js';

const relayPath = process.argv[2];
if (!relayPath) {
  process.stderr.write('usage: bridge-main RELAY_SOCKET\n');
  process.exit(2);
}

const control = connect({ path: relayPath });
let config: BridgeConfig | undefined;
let child: ChildProcess | undefined;
let finishing = false;
const pending = new Map<string, BypassSighting & { count: number }>();

control.on('connect', () => writeJsonLine(control, { t: 'control', v: 1 }));
control.on('error', () => {}); // 'close' follows
control.on('close', () => {
  if (finishing) return;
  // `run` is gone without cleaning up (perhaps before it sent the configuration): remove its private
  // directory, the relay socket's, and take everything inside down with this process.
  const privateDir = dirname(relayPath);
  if (basename(privateDir).startsWith(PRIVATE_DIR_PREFIX))
    rmSync(privateDir, { recursive: true, force: true });
  process.exit(1);
});
readJsonLines(control, (message) => {
  const m = message as { t?: string; signal?: string };
  if (m.t === 'config' && !config) {
    config = message as BridgeConfig;
    start(config).catch((err: Error) => fail(`the isolation bridge failed: ${err.message}`, 1));
  } else if (m.t === 'signal' && typeof m.signal === 'string' && child && child.exitCode === null) {
    try {
      child.kill(m.signal as NodeJS.Signals);
    } catch {
      // not a signal name this system knows
    }
  }
});

async function start(cfg: BridgeConfig): Promise<void> {
  const listen = async () => {
    await startListeners({ relayPath: relayPath!, httpPort: cfg.httpPort, onBypass: (s) => sighted(s, 1) });
  };
  try {
    await setUpNamespace(cfg, listen);
  } catch (err) {
    if (err instanceof SetupError) return fail(`cannot set up the isolated network: ${err.message}`, 126);
    throw err;
  }
  try {
    statSync(cfg.cwd);
  } catch {
    return fail(`the working directory ${cfg.cwd} is not visible inside the isolated namespace`, 126);
  }
  const found = findExecutable(cfg.command, cfg.env['PATH'], cfg.cwd);
  if (!found.ok)
    return finish({ t: 'fail', about: 'command', reason: found.reason, exitCode: found.exitCode });

  let counters = readRefusalCounters();
  const poll = () => {
    const now = readRefusalCounters();
    const seen = refusalsSince(counters, now);
    counters = now;
    if (seen.tcp > 0) {
      sighted(
        {
          protocol: 'tcp',
          destination: null,
          detail: 'TCP connection refused inside the isolated namespace (destination not visible)',
        },
        seen.tcp,
      );
    }
    if (seen.udp > 0) {
      sighted(
        {
          protocol: 'udp',
          destination: null,
          detail: 'UDP datagram refused inside the isolated namespace (destination not visible)',
        },
        seen.udp,
      );
    }
    for (const entry of pending.values()) writeJsonLine(control, { t: 'bypass', ...entry });
    pending.clear();
  };
  const timer = setInterval(poll, cfg.pollMs);

  // The command replaces unshare (no fork): its exit status is the child's. fd 3 is the caller's
  // stderr; this process's own stderr goes to `run`, which prints it only when something is wrong.
  const started = spawn(
    cfg.tools.unshare,
    ['--user', `--map-user=${cfg.uid}`, `--map-group=${cfg.gid}`, '--', cfg.command, ...cfg.args],
    { env: cfg.env, cwd: cfg.cwd, stdio: [0, 1, 3] },
  );
  child = started;
  started.once('error', (err) => {
    clearInterval(timer);
    fail(`cannot start ${cfg.tools.unshare}: ${err.message}`, 126);
  });
  started.once('spawn', () => writeJsonLine(control, { t: 'ready' } satisfies BridgeEvent));
  started.once('exit', (code, signal) => {
    clearInterval(timer);
    poll();
    finish({ t: 'exit', code, signal });
  });
}

function sighted(s: BypassSighting, count: number): void {
  const key = `${s.protocol} ${s.destination ?? ''} ${s.detail}`;
  const entry = pending.get(key);
  if (entry) entry.count += count;
  else pending.set(key, { ...s, count });
}

function fail(reason: string, exitCode: number): void {
  finish({ t: 'fail', about: 'isolation', reason, exitCode });
}

/** Last word to the relay, then exit: the kernel takes down whatever is still inside. */
function finish(event: BridgeEvent): void {
  if (finishing) return;
  finishing = true;
  writeJsonLine(control, event);
  control.end(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
