// The gateway's configuration over time: the snapshot in force (validated, versioned, cached in
// gateway.db) merged with the kill switch entries activated on the gateway itself. Every change is
// compiled once and swapped in with one assignment, then open tunnels and streams are re-checked.
import type { Logger } from 'pino';
import type { KillSwitchEntry, KillSwitchScope } from '../../decide/types.js';
import { AppError } from '../../errors/codes.js';
import { emptySnapshot, type GatewayConfigSnapshot } from '../../sync/snapshot.js';
import type { TrafficLogWriter } from '../traffic-log/traffic-log-writer.js';
import type { ActiveConnections } from './active-connections.js';
import type { ConfigStore } from './config-store.js';
import type { RateLimits } from './decision-engine.js';
import { compileRuntimeConfig, type RuntimeConfig } from './runtime-config.js';
import { parseSnapshot } from './snapshot-schema.js';
import { stillAllowed } from './still-allowed.js';

export interface GatewayStateDeps {
  store: ConfigStore;
  rateLimits: RateLimits;
  active: ActiveConnections;
  writer: TrafficLogWriter;
  logger: Logger;
  now(): Date;
  /** Called after each installation (pre-minting leaves for the configured hosts). */
  installed(next: RuntimeConfig): void;
}

export class GatewayState {
  readonly #deps: GatewayStateDeps;
  #config: RuntimeConfig = compileRuntimeConfig(emptySnapshot(), []);

  constructor(deps: GatewayStateDeps) {
    this.#deps = deps;
  }

  get config(): RuntimeConfig {
    return this.#config;
  }

  /** Installs the snapshot cached in gateway.db; with none usable, no agents and no connectors. */
  loadCached(): void {
    const { store, logger } = this.#deps;
    const cached = store.loadSnapshot();
    if (cached?.ok) {
      this.#install(compileRuntimeConfig(cached.snapshot, store.localKillSwitch()));
      logger.info({ version: cached.snapshot.version }, 'loaded the cached configuration');
      return;
    }
    // Everything is refused until a snapshot arrives: deny is the default.
    if (cached)
      logger.error({ version: cached.version, error: cached.error }, 'cached configuration unusable');
    this.#install(compileRuntimeConfig(emptySnapshot(), store.localKillSwitch()));
  }

  /**
   * Validates, compiles, persists and installs a snapshot. Throws AppError bad_request / conflict.
   * `followOlder`: the gateway's own control plane stream is the source of truth, so an older version
   * from it means that control plane's database went back (a restore) and is followed, loudly.
   */
  applySnapshot(s: GatewayConfigSnapshot, opts: { followOlder?: boolean } = {}): void {
    const { store } = this.#deps;
    const parsed = parseSnapshot(s);
    if (!parsed.ok) throw new AppError('bad_request', `invalid snapshot: ${parsed.error}`);
    const current = Math.max(this.#config.snapshot.version, store.cachedVersion() ?? 0);
    // Equal versions re-apply (idempotent re-sends); older ones are refused, so a delayed or replayed
    // push can never roll the gateway back to a configuration that was already replaced.
    if (s.version < current && opts.followOlder) {
      this.#deps.logger.warn(
        { version: s.version, previous: current },
        'the control plane sent an older configuration version (was its database restored?); following it',
      );
    } else if (s.version < current) {
      throw new AppError(
        'conflict',
        `snapshot version ${s.version} is older than the applied version ${current}`,
      );
    }
    let next: RuntimeConfig;
    try {
      next = compileRuntimeConfig(parsed.snapshot, store.localKillSwitch());
    } catch (err) {
      throw new AppError('bad_request', `snapshot cannot be compiled: ${(err as Error).message}`);
    }
    if (next.connectors.ignored.length > 0) {
      this.#deps.logger.warn(
        { domains: next.connectors.ignored.slice(0, 20) },
        'connector wildcards over a public suffix cover nothing: fix them in the control plane',
      );
    }
    store.saveSnapshot(parsed.snapshot, this.#deps.now());
    this.#install(next);
  }

  activateKillSwitch(scope: KillSwitchScope, reason?: string): void {
    const { store, writer, logger, now } = this.#deps;
    store.activateKillSwitch(scope, reason, now());
    this.#install(compileRuntimeConfig(this.#config.snapshot, store.localKillSwitch()));
    writer.appendEvent('kill_switch.activated', {
      scope,
      reason: reason ?? null,
      source: 'gateway',
      activated_at: now().toISOString(),
    });
    logger.warn({ scope }, 'kill switch activated on the gateway');
  }

  deactivateKillSwitch(scope: KillSwitchScope): boolean {
    const { store, writer, logger, now } = this.#deps;
    const removed = store.deactivateKillSwitch(scope);
    if (removed) {
      this.#install(compileRuntimeConfig(this.#config.snapshot, store.localKillSwitch()));
      writer.appendEvent('kill_switch.deactivated', { scope, source: 'gateway', at: now().toISOString() });
      logger.warn({ scope }, 'kill switch deactivated on the gateway');
    }
    return removed;
  }

  killSwitch(): { local: KillSwitchEntry[]; snapshot: KillSwitchEntry[] } {
    return { local: this.#deps.store.localKillSwitch(), snapshot: this.#config.snapshot.killSwitch };
  }

  /** Dedicated ports the configuration assigns. */
  agentPorts(): Set<number> {
    return new Set(this.#config.snapshot.agents.flatMap((a) => (a.port === null ? [] : [a.port])));
  }

  #install(next: RuntimeConfig): void {
    const { rateLimits, active, logger, now } = this.#deps;
    this.#config = next;
    rateLimits.update(next.snapshot.rateLimits, next.agentsByName.keys());
    const cut = active.sweep((entry) => stillAllowed(next, entry, now()));
    if (cut > 0) logger.info({ cut }, 'cut open tunnels and streams the new configuration no longer allows');
    this.#deps.installed(next);
  }
}
