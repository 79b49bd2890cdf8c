// Tells live gateway streams that a gateway's configuration changed. Emitted after the transaction
// that changed it has committed, so a listener always reads the new state.
import { EventEmitter } from 'node:events';

export class ConfigChanges {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  notify(gatewayId: string): void {
    this.#emitter.emit('changed', gatewayId);
  }

  subscribe(listener: (gatewayId: string) => void): () => void {
    this.#emitter.on('changed', listener);
    return () => this.#emitter.off('changed', listener);
  }
}
