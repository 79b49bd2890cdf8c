// Runs the agent's command for `tameflare run` and hands back how it ended, so that the CLI can exit
// the way the command did (and revoke the session key in between: the parent must outlive the child).
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';

export interface ChildResult {
  /** The exit code, or 128 + signal number when the child was killed by a signal (shell convention). */
  exitCode: number;
  signal: NodeJS.Signals | null;
}

export interface RunChildOptions {
  /** `inherit` (default) gives the child our terminal; `ignore` is for checks that want no output. */
  stdio?: 'inherit' | 'ignore';
}

/** Signals a supervisor is expected to pass on; SIGKILL and SIGSTOP cannot be caught, so cannot be. */
export const FORWARDED: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
];
/** Signals a terminal sends to its whole foreground process group, child included. */
export const FROM_KEYBOARD: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT']);

/** The command could not be started; `exitCode` follows the shell (127 not found, 126 not executable). */
export class ChildStartError extends Error {
  readonly exitCode: 126 | 127;

  constructor(message: string, exitCode: 126 | 127, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChildStartError';
    this.exitCode = exitCode;
  }
}

/**
 * Spawns `command` (no shell: arguments reach it verbatim) with exactly `env`, forwards the usual
 * supervisor signals to it while it runs, and resolves when it exits. Rejects with ChildStartError
 * when it cannot be started.
 */
export function runChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  opts: RunChildOptions = {},
): Promise<ChildResult> {
  const stdio = opts.stdio ?? 'inherit';
  // Ctrl-C on a terminal already reaches the child (same foreground process group); sending it again
  // would make it see two, which many interactive programs read as "force quit". So keyboard signals
  // are passed on only when they cannot have come from our terminal.
  // (isatty, not process.stdin.isTTY: touching process.stdin opens a stream on the fd the child
  // inherits.)
  const sharesTerminal = stdio === 'inherit' && isatty(0);

  return new Promise((resolve, reject) => {
    const handlers = new Map<NodeJS.Signals, () => void>();
    const stopForwarding = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    // Handlers go in before the spawn: the child can be running (and be signalled about) before
    // spawn() returns. A handler is installed even when it forwards nothing, because without one the
    // signal would kill this process, orphaning the child and leaving its session key unrevoked.
    // They only run from the event loop, so `child` is always assigned by then.
    let child: ChildProcess | undefined;
    for (const signal of FORWARDED) {
      const handler = () => {
        if (sharesTerminal && FROM_KEYBOARD.has(signal)) return;
        if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    let started: ChildProcess;
    try {
      started = spawn(command, args, { env, stdio });
    } catch (err) {
      stopForwarding();
      throw err;
    }
    child = started;

    started.once('error', (err: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(); 'exit' still follows.
      if (started.pid !== undefined) return;
      stopForwarding();
      reject(startError(command, err));
    });
    started.once('exit', (code, signal) => {
      stopForwarding();
      resolve({ exitCode: code ?? signalExitCode(signal), signal });
    });
  });
}

/** The code the CLI should exit with to report the child's end as a shell would. */
export function exitCodeFor(result: ChildResult): number {
  return result.signal ? signalExitCode(result.signal) : result.exitCode;
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

function startError(command: string, err: NodeJS.ErrnoException): ChildStartError {
  if (err.code === 'ENOENT') return new ChildStartError(`command not found: ${command}`, 127, { cause: err });
  if (err.code === 'EACCES' || err.code === 'EISDIR') {
    return new ChildStartError(`permission denied: ${command}`, 126, { cause: err });
  }
  return new ChildStartError(`cannot start ${command}: ${err.message}`, 126, { cause: err });
}
