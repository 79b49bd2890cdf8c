import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FORCE_EXIT_MARGIN_MS, runUntilSignalled } from '../../src/daemon/lifecycle.js';
import { ExitNow } from '../../src/errors/exit-now.js';

const logger = pino({ level: 'silent' });

function signals() {
  return new EventEmitter() as EventEmitter & Pick<NodeJS.Process, 'on' | 'removeListener'>;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('runUntilSignalled', () => {
  it('closes the daemon on SIGTERM and resolves with exit code 0, then stops listening', async () => {
    const source = signals();
    let closed = 0;
    const stopped = runUntilSignalled(
      { close: async () => void closed++ },
      { logger, graceMs: 100, signals: source },
    );
    expect(source.listenerCount('SIGTERM')).toBe(1);
    expect(closed).toBe(0);
    source.emit('SIGTERM', 'SIGTERM');
    await expect(stopped).resolves.toBe(0);
    expect(closed).toBe(1);
    expect(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT')).toBe(0);
  });

  it('gives up with ExitNow(1) on a second signal while closing', async () => {
    const source = signals();
    const stopped = runUntilSignalled(
      { close: () => new Promise(() => {}) },
      { logger, graceMs: 100, signals: source },
    );
    source.emit('SIGINT', 'SIGINT');
    source.emit('SIGTERM', 'SIGTERM');
    const err = await stopped.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExitNow);
    expect((err as ExitNow).exitCode).toBe(1);
  });

  it('gives up with ExitNow(1) when closing outlasts the grace period and its margin', async () => {
    vi.useFakeTimers();
    const source = signals();
    const stopped = runUntilSignalled(
      { close: () => new Promise(() => {}) },
      { logger, graceMs: 1_000, signals: source },
    );
    const settled = vi.fn();
    stopped.then(settled, settled);
    source.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(1_000 + FORCE_EXIT_MARGIN_MS - 1);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toHaveBeenCalledWith(expect.any(ExitNow));
  });
});
