// Tells live gateway streams that a gateway's configuration changed. Emitted after the transaction
// that changed it has committed, so a listener always reads the new state. Changes made by another
// control-plane process on the same database arrive through the change feed (PostgreSQL NOTIFY) and
// are told the same way, so a gateway streaming from any process gets every version pushed.
import { EventEmitter } from 'node:events';
import { type ChangeFeed, localChangeFeed } from '../../storage/change-feed.js';

export class ConfigChanges {
  readonly #emitter = new EventEmitter();
  readonly #feed: ChangeFeed;
  readonly #stop: (() => void)[] = [];

  constructor(feed: ChangeFeed = localChangeFeed) {
    this.#emitter.setMaxListeners(0);
    this.#feed = feed;
    if (feed.shared) {
      this.#stop.push(
        feed.subscribe('config', (d) => {
          if (typeof d.gateway === 'string') this.#emitter.emit('changed', d.gateway);
        }),
        // Messages may have been lost while the feed was down: every stream checks its version.
        feed.onResync(() => this.#emitter.emit('resync')),
      );
    }
  }

  /** True when other processes change configurations too (streams then also check on a timer). */
  get shared(): boolean {
    return this.#feed.shared;
  }

  notify(gatewayId: string): void {
    this.#emitter.emit('changed', gatewayId);
    this.#feed.publish('config', { gateway: gatewayId });
  }

  /** `listener(undefined)`: any gateway may have changed (the feed came back from a loss). */
  subscribe(listener: (gatewayId: string | undefined) => void): () => void {
    const resync = () => listener(undefined);
    this.#emitter.on('changed', listener);
    this.#emitter.on('resync', resync);
    return () => {
      this.#emitter.off('changed', listener);
      this.#emitter.off('resync', resync);
    };
  }

  close(): void {
    for (const stop of this.#stop.splice(0)) stop();
  }
}
