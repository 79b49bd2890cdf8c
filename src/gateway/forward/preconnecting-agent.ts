// An https.Agent that can open a connection ahead of the first request. When an agent opens a
// CONNECT tunnel to a host the gateway has no pooled connection for, the upstream TLS handshake is
// started while the agent's own handshake (and the leaf mint) is in progress, so the first request
// finds a warm connection instead of paying both handshakes one after the other. The early socket goes
// through the same egress lookup and certificate checks as any other; nothing is sent on it until a
// request the pipeline allowed; unused, it is closed after a short while.
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';

const WARM_FOR_MS = 15_000;

export class PreconnectingAgent extends https.Agent {
  readonly #warm = new Map<string, tls.TLSSocket>();

  /** Opens a connection for these request options unless one is pooled or already warming. */
  preconnect(options: https.RequestOptions): void {
    const merged = { ...options, ...this.options } as https.RequestOptions & { servername?: string };
    const name = this.getName(merged);
    if ((this.freeSockets[name]?.length ?? 0) > 0 || (this.sockets[name]?.length ?? 0) > 0) return;
    if (this.#warm.has(name)) return;
    const socket = tls.connect({
      ...(merged as tls.ConnectionOptions),
      host: merged.host ?? undefined,
      port: Number(merged.port),
    });
    const forget = () => {
      if (this.#warm.get(name) === socket) this.#warm.delete(name);
    };
    socket.on('error', () => {
      forget();
      socket.destroy();
    });
    socket.once('close', forget);
    const timer = setTimeout(() => {
      forget();
      socket.destroy();
    }, WARM_FOR_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    // Taken by a request (below): it is the pool's from then on, with the pool's own lifetime.
    socket.once('tameflare:taken', () => clearTimeout(timer));
    this.#warm.set(name, socket);
  }

  override createConnection(
    options: https.RequestOptions,
    callback: (err: Error | null, s: Duplex) => void,
  ): Duplex {
    const name = this.getName(options);
    const warm = this.#warm.get(name);
    if (warm && !warm.destroyed) {
      this.#warm.delete(name);
      warm.emit('tameflare:taken');
      return warm;
    }
    return (
      https.Agent.prototype as unknown as { createConnection: PreconnectingAgent['createConnection'] }
    ).createConnection.call(this, options, callback);
  }

  override destroy(): void {
    for (const socket of this.#warm.values()) socket.destroy();
    this.#warm.clear();
    super.destroy();
  }
}
