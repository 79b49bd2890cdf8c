// Dedicated agent ports: one listener per agent that has a port in the configuration, opened and
// closed as snapshots change, without a restart. A port that cannot be bound does not stop the
// gateway (the shared port still serves that agent); the failure is logged and shown in /health.
import type { Logger } from 'pino';
import { type ListenerHandlers, ProxyListener } from './proxy-listener.js';

export class AgentPorts {
  readonly #host: string;
  readonly #handlers: ListenerHandlers;
  readonly #logger: Logger;
  readonly #open = new Map<number, ProxyListener>();
  readonly #failed = new Map<number, string>();
  #sync: Promise<void> = Promise.resolve();

  constructor(host: string, handlers: ListenerHandlers, logger: Logger) {
    this.#host = host;
    this.#handlers = handlers;
    this.#logger = logger;
  }

  /** Makes the set of open ports equal `wanted`. Serialised: overlapping calls run one after another. */
  sync(wanted: ReadonlySet<number>): Promise<void> {
    this.#sync = this.#sync.then(() => this.#apply(wanted));
    return this.#sync;
  }

  isOpen(port: number): boolean {
    return this.#open.has(port);
  }

  ports(): number[] {
    return [...this.#open.keys()].sort((a, b) => a - b);
  }

  failures(): Record<string, string> {
    return Object.fromEntries([...this.#failed].map(([port, error]) => [String(port), error]));
  }

  async closeAll(graceMs: number): Promise<void> {
    await this.#sync;
    const listeners = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(listeners.map((l) => l.close(graceMs)));
  }

  async #apply(wanted: ReadonlySet<number>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [port, listener] of this.#open) {
      if (wanted.has(port)) continue;
      this.#open.delete(port);
      // A removed or moved agent's port closes at once: its tunnels were already cut by the sweep.
      closing.push(listener.close(0));
    }
    for (const port of this.#failed.keys()) if (!wanted.has(port)) this.#failed.delete(port);
    await Promise.all(closing);
    for (const port of wanted) {
      if (this.#open.has(port)) continue;
      const listener = new ProxyListener({
        host: this.#host,
        port,
        dedicatedPort: port,
        handlers: this.#handlers,
      });
      try {
        await listener.start();
        this.#open.set(port, listener);
        this.#failed.delete(port);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        this.#failed.set(port, code);
        this.#logger.warn(
          { port, code },
          'could not open an agent port; the agent can still use the main port',
        );
      }
    }
  }
}
