// How a daemon starts and stops: start-up failures worth one clear line, SIGTERM / SIGINT, and the
// grace period after which a shutdown that still has not finished gives up. Nothing here sets the
// exit code: the outcome goes back to src/main.ts, the only place that does.
import type { Logger } from 'pino';
import { ExitNow } from '../errors/exit-now.js';

/** An error that should stop start-up with one clear line (and the given exit code). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Binds with `start`; a port problem becomes a StartupError naming the flag to change. */
export async function listenOrExplain<T>(
  start: () => Promise<T>,
  what: string,
  flag: string,
  port: number,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${port} is already in use (${what}, ${flag})`, 1);
    if (code === 'EACCES')
      throw new StartupError(`no permission to listen on port ${port} (${what}, ${flag})`, 1);
    if (code === 'EADDRNOTAVAIL')
      throw new StartupError(`cannot listen on this address (${what}): ${(err as Error).message}`, 1);
    throw err;
  }
}

export interface StopOptions {
  logger: Logger;
  /** The daemon's own grace period for in-flight requests (SHUTDOWN_GRACE_MS). */
  graceMs: number;
  /** Where signals come from; the process itself outside tests. */
  signals?: Pick<NodeJS.Process, 'on' | 'removeListener'> | undefined;
}

/** Beyond the daemon's own grace period, how long closing may take before the process gives up. */
export const FORCE_EXIT_MARGIN_MS = 5_000;

/**
 * Waits for SIGTERM or SIGINT, then closes the daemon. Resolves with exit code 0 once it has
 * closed; rejects with ExitNow (exit code 1) on a second signal or when closing outlasts the grace
 * period plus a margin.
 */
export function runUntilSignalled(daemon: { close(): Promise<void> }, opts: StopOptions): Promise<number> {
  const { logger } = opts;
  const source = opts.signals ?? process;
  return new Promise<number>((resolve, reject) => {
    let stopping = false;
    const unlisten = () => {
      source.removeListener('SIGTERM', stop);
      source.removeListener('SIGINT', stop);
    };
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        reject(new ExitNow('second signal', 1));
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown grace period over: exiting');
        reject(new ExitNow('shutdown grace period over', 1));
      }, opts.graceMs + FORCE_EXIT_MARGIN_MS);
      force.unref();
      daemon.close().then(
        () => {
          clearTimeout(force);
          unlisten();
          logger.info('stopped');
          logger.flush?.();
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(force);
          logger.error({ err }, 'error while stopping');
          reject(new ExitNow('error while stopping', 1));
        },
      );
    };
    source.on('SIGTERM', stop);
    source.on('SIGINT', stop);
  });
}
