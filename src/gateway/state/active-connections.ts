// Every open tunnel, WebSocket and in-flight response, with what it was admitted for. When the
// configuration changes (kill switch, suspension, removal, key revocation), the gateway re-checks
// each one against the new configuration and cuts those it would no longer admit: a kill switch that
// only stopped new requests would leave a running stream or an open tunnel untouched.
import type { GatewayMetrics } from '../api/gateway-metrics.js';
import type { PresentedIdentity } from '../pipeline/identity.js';

export type ActiveKind = 'tunnel' | 'raw' | 'stream' | 'websocket';

export interface ActiveEntry {
  kind: ActiveKind;
  agent: string;
  connector: string | null; // connector name, when known
  connectorType: string | null;
  /** What the agent presented (tunnels): re-checked after a configuration change. */
  who: PresentedIdentity | undefined;
  host: string;
  port: number;
  /** Destroys both sides; `reason` ends up in the traffic row's error. */
  cut(reason: string): void;
}

export class ActiveConnections {
  readonly #entries = new Set<ActiveEntry>();
  readonly #metrics: GatewayMetrics;

  constructor(metrics: GatewayMetrics) {
    this.#metrics = metrics;
  }

  /** Tracks an entry; the returned function (idempotent) stops tracking it. */
  add(entry: ActiveEntry): () => void {
    this.track(entry);
    return () => this.untrack(entry);
  }

  /** Tracks an entry until `untrack` (for callers that keep the entry itself, not a function). */
  track(entry: ActiveEntry): void {
    if (this.#entries.has(entry)) return;
    this.#entries.add(entry);
    if (entry.kind !== 'stream') this.#metrics.activeTunnels.inc({ kind: entry.kind });
  }

  /** Stops tracking an entry; idempotent (a sweep and a later close count once). */
  untrack(entry: ActiveEntry): void {
    if (!this.#entries.delete(entry)) return;
    if (entry.kind !== 'stream') this.#metrics.activeTunnels.dec({ kind: entry.kind });
  }

  /** Cuts every entry for which `stillAllowed` is false; returns how many were cut. */
  sweep(stillAllowed: (entry: ActiveEntry) => boolean): number {
    let cut = 0;
    for (const entry of [...this.#entries]) {
      if (stillAllowed(entry)) continue;
      this.untrack(entry);
      entry.cut('cut: the configuration no longer allows it (kill switch, agent or connector change)');
      cut++;
    }
    if (cut > 0) this.#metrics.killSwitchCuts.inc(cut);
    return cut;
  }

  /** Cuts everything (shutdown after the grace period). */
  cutAll(reason: string): void {
    for (const entry of [...this.#entries]) {
      this.untrack(entry);
      entry.cut(reason);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  byAgent(): { agent: string; tunnels: number; streams: number }[] {
    const counts = new Map<string, { agent: string; tunnels: number; streams: number }>();
    for (const e of this.#entries) {
      const c = counts.get(e.agent) ?? { agent: e.agent, tunnels: 0, streams: 0 };
      if (e.kind === 'stream' || e.kind === 'websocket') c.streams++;
      else c.tunnels++;
      counts.set(e.agent, c);
    }
    return [...counts.values()];
  }
}
