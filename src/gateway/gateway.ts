// The gateway's builder: wires the listeners, interception, the pipeline and the configuration state
// around the services it is given (traffic log writer, vault, config store, upstream pool, leaf
// certificates, metrics). Building binds nothing; start() binds; close() releases what it bound, in
// reverse order. See docs/gateway.md for how the parts fit.
import * as http from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Secret } from '../config/secret.js';
import type { KillSwitchScope } from '../decide/types.js';
import type { GatewayDatabase } from '../storage/gateway-schema.js';
import type { OpenedDatabase } from '../storage/open-database.js';
import type { GatewayConfigSnapshot } from '../sync/snapshot.js';
import type { VaultStore } from '../vault/vault-store.js';
import { createGatewayApi } from './api/gateway-api.js';
import type { GatewayMetrics } from './api/gateway-metrics.js';
import { createInternalApi } from './api/internal-api.js';
import { trafficRowReader } from './api/traffic-rows.js';
import { ApprovalHolds } from './approvals/approval-holds.js';
import { type ApprovalLink, ApprovalLinkDown } from './approvals/approval-link.js';
import { createHoldMetrics } from './approvals/hold-metrics.js';
import type { Upstream } from './forward/upstream.js';
import { AgentPorts } from './listen/agent-ports.js';
import { answerClientError, withoutNodeHostCheck } from './listen/client-errors.js';
import { createConnectHandler } from './listen/connect-handler.js';
import {
  FIRST_REQUEST_TIMEOUT_MS,
  type InterceptionOptions,
  type TunnelContext,
} from './listen/interception.js';
import { CLIENT_KEEP_ALIVE_MS, type ListenerHandlers, ProxyListener } from './listen/proxy-listener.js';
import { createTlsRejectionReporter } from './listen/tls-rejection.js';
import type { DecisionTokenCheck } from './pipeline/decision-token-step.js';
import { createRequestHandlers } from './pipeline/request-handlers.js';
import { ActiveConnections } from './state/active-connections.js';
import type { ConfigStore } from './state/config-store.js';
import { createRateLimits } from './state/decision-engine.js';
import { GatewayState } from './state/gateway-state.js';
import type { RuntimeConfig } from './state/runtime-config.js';
import type { LeafCertificateCache } from './tls/leaf-certificates.js';
import type { OutboxRow, TrafficLogWriter } from './traffic-log/traffic-log-writer.js';

/** What the gateway is told: where to listen and its limits (from the daemon's Config). */
export interface GatewayOptions {
  host: string;
  port: number; // 9443 by default; 0 in tests (the real port is read back)
  agentPortStart: number; // 9444
  maxBodyBytes: number; // cap for bodies a connector must read (413 beyond)
  serviceToken: Secret | undefined; // guards /internal/* (GATEWAY_SERVICE_TOKEN); undefined: /internal is 404
  shutdownGraceMs: number; // how long close() lets in-flight requests finish
  version: string;
  /** The hold when a rule names none (TAMEFLARE_APPROVAL_TIMEOUT, seconds; default 120). */
  approvalHoldSeconds?: number | undefined;
  /** Requests one agent may have held for approval at once (default 100). */
  maxHoldsPerAgent?: number | undefined;
  /** More for /health from outside the gateway (the daemon adds the control plane link's state). */
  healthExtras?: (() => Record<string, unknown>) | undefined;
  /** SDK mode: decision tokens that stand in for an approval (pipeline/decision-token-step.ts). */
  decisionTokens?: DecisionTokenCheck | undefined;
}

/**
 * What the gateway is given, built by the composition root (src/daemon/gateway-services.ts), which
 * also closes them: the gateway's own close() releases only what it bound and tracks.
 */
export interface GatewayServices {
  db: OpenedDatabase<GatewayDatabase>;
  writer: TrafficLogWriter;
  vault: VaultStore;
  store: ConfigStore;
  upstream: Upstream;
  leaves: LeafCertificateCache;
  metrics: GatewayMetrics;
  /** The process's Prometheus registry, served on /metrics. */
  registry: Registry;
  logger: Logger;
  now: () => Date;
  /** The control plane's approvals; without one, requests needing approval are refused (503). */
  approvalLink?: ApprovalLink | undefined;
}

export interface Gateway {
  start(): Promise<{ port: number }>;
  close(): Promise<void>;
  /** `followOlder` only for the gateway's own control plane stream (see GatewayState). */
  applySnapshot(s: GatewayConfigSnapshot, opts?: { followOlder?: boolean }): Promise<void>;
  /** The traffic-log retention the control plane set (in the snapshot in force), if it set one. */
  snapshotRetentionDays(): number | undefined;
  readonly vault: {
    set(connector: string, secret: Secret): void;
    delete(connector: string): void;
    has(connector: string): boolean;
    lastFour(connector: string): string | undefined;
  };
  health(): {
    /** `degraded` while gateway.db cannot be written (requests go on; see `db_error`). */
    status: 'ok' | 'warning' | 'degraded';
    uptime_seconds: number;
    agents: number;
    connectors: number;
    [k: string]: unknown;
  };
  readonly outbox: {
    pending(limit: number): Promise<OutboxRow[]>;
    acknowledge(uptoId: number): void;
    onAppend(cb: () => void): void;
  };
  readonly address: { port: number } | undefined;
  agentPort(name: string): number | undefined;
  /** Dedicated ports: open, failed (with the bind error), and the configuration's agents without one. */
  agentPortStatus(): AgentPortStatus;
  /** Local kill switch (control plane down); also reachable as POST/DELETE /internal/kill-switch. */
  activateKillSwitch(scope: KillSwitchScope, reason?: string): void;
  deactivateKillSwitch(scope: KillSwitchScope): boolean;
  /** Approval events from the control plane's stream (`approval`, `approvals`). */
  approvalEvent(event: string, data: string): void;
}

export interface AgentPortStatus {
  open: number[];
  errors: Record<string, string>;
  /** Ports the configuration gives agents (open or not). */
  held: number[];
  /** Agents the configuration gives no dedicated port (none was free in the range, or not yet assigned). */
  pendingAgents: string[];
}

export function buildGateway(services: GatewayServices, options: GatewayOptions): Gateway {
  const { writer, vault, store, upstream, leaves, metrics, logger, now } = services;
  const startedAt = Date.now();
  const graceMs = options.shutdownGraceMs;
  const active = new ActiveConnections(metrics);
  let minted = 0;
  metrics.leafCertsMinted.reset();
  const secureContextFor = async (host: string) => {
    const context = await leaves.secureContextFor(host);
    const count = leaves.stats().minted;
    if (count > minted) metrics.leafCertsMinted.inc(count - minted);
    minted = count;
    return context;
  };

  const rateLimits = createRateLimits([]);
  const holds = new ApprovalHolds({
    link: services.approvalLink ?? noApprovalLink,
    events: writer,
    metrics: createHoldMetrics(services.registry),
    logger: logger.child({ part: 'approvals' }),
    holdSeconds: options.approvalHoldSeconds ?? 120,
    maxHoldsPerAgent: options.maxHoldsPerAgent ?? 100,
    maxBodyBytes: options.maxBodyBytes,
    localKillSwitch: () =>
      state.killSwitch().local.map((e) => ({
        scope: e.scope,
        reason: e.reason ?? null,
        activated_at: e.activatedAt,
      })),
  });
  const state = new GatewayState({
    store,
    rateLimits,
    active,
    writer,
    logger,
    now,
    installed: (next) => {
      premint(next);
      holds.recheck(next);
    },
  });
  const activateKillSwitch = (scope: KillSwitchScope, reason?: string) => {
    state.activateKillSwitch(scope, reason);
    void holds.reportKillSwitch();
  };
  const deactivateKillSwitch = (scope: KillSwitchScope) => {
    const removed = state.deactivateKillSwitch(scope);
    if (removed) void holds.reportKillSwitch();
    return removed;
  };
  const records = { writer, metrics, now };
  const reportTlsRejection = createTlsRejectionReporter({ records, logger });
  const tunnels = new WeakMap<object, TunnelContext>();

  const handlers = createRequestHandlers({
    admission: {
      config: () => state.config,
      records,
      rateLimits,
      hold: holds.hold,
      credentialStored: (connector) => vault.has(connector),
      decisionTokens: options.decisionTokens,
      maxBodyBytes: options.maxBodyBytes,
      logger,
      now,
    },
    forwarder: { upstream, vault, active, metrics, logger },
    tunnelOf: (socket) => tunnels.get(socket as object),
    logger,
  });

  // Every intercepted tunnel's sockets (TLS-wrapped or plain) land in this one server, which never
  // listens: it only parses HTTP on sockets handed to it.
  const inner = withoutNodeHostCheck(http.createServer({ keepAliveTimeout: CLIENT_KEEP_ALIVE_MS }));
  inner.on('request', handlers.tunnelRequest);
  inner.on('upgrade', handlers.tunnelUpgrade);
  inner.on('clientError', answerClientError);

  const interception: InterceptionOptions = {
    inner,
    onTunnelSocket(socket, ctx) {
      ctx.firstRequestTimer = setTimeout(() => socket.destroy(), FIRST_REQUEST_TIMEOUT_MS);
      ctx.firstRequestTimer.unref();
      socket.once('close', () => clearTimeout(ctx.firstRequestTimer));
      tunnels.set(socket, ctx);
      const connector = state.config.connectors.lookup(ctx.host, ctx.port);
      const untrack = active.add({
        kind: 'tunnel',
        agent: ctx.agent,
        connector: connector?.name ?? null,
        connectorType: connector?.type ?? null,
        who: ctx.who,
        host: ctx.host,
        port: ctx.port,
        cut: () => socket.destroy(), // the requests inside record their own rows
      });
      socket.once('close', untrack);
    },
    onTlsError(err, ctx) {
      if (reportTlsRejection(err, ctx)) return;
      // Other handshake failures are the agent's (SNI mismatch, a reset): worth a debug line only.
      logger.debug({ host: ctx.host, agent: ctx.agent, err: err.message }, 'TLS handshake with agent failed');
    },
  };

  const internal = createInternalApi(
    {
      vault,
      applySnapshot: (s) => applySnapshot(s),
      activateKillSwitch,
      deactivateKillSwitch,
      killSwitch: () => state.killSwitch(),
      reservedPorts: () =>
        new Set([...state.agentPorts(), ...agentPorts.ports(), ...(main?.port ? [main.port] : [])]),
      activeAgents: () => active.byAgent(),
      trafficRows: trafficRowReader(services.db.raw),
      bindHost: options.host,
      agentPortStart: options.agentPortStart,
    },
    options.serviceToken,
  );

  const listenerHandlers: ListenerHandlers = {
    originForm: createGatewayApi({ health: () => health(), registry: services.registry, internal, logger }),
    proxyRequest: handlers.proxyRequest,
    proxyUpgrade: handlers.proxyUpgrade,
    connect: createConnectHandler({
      config: () => state.config,
      records,
      rateLimits,
      hold: holds.hold,
      upstream,
      secureContextFor,
      interception,
      active,
      logger,
      now,
    }),
  };
  const agentPorts = new AgentPorts(options.host, listenerHandlers, logger);
  let main: ProxyListener | undefined;
  let started = false;
  let closing: Promise<void> | undefined;

  // Leaves for the exact hosts of intercepting connectors are minted in the background, one after
  // the other, so the first request to a configured host does not wait for a mint (~3-4 ms).
  let minting = Promise.resolve();
  function premint(next: RuntimeConfig): void {
    const hosts = new Set<string>();
    for (const c of next.snapshot.connectors) {
      if (!c.intercept) continue;
      for (const d of next.connectors.domainsOf(c)) {
        const host = d.replace(/:\d+$/, '').toLowerCase();
        if (!host.includes('*') && hosts.size < 100) hosts.add(host);
      }
    }
    minting = minting.then(async () => {
      for (const host of hosts) {
        if (closing) return;
        await secureContextFor(host).catch(() => {});
      }
    });
  }

  async function applySnapshot(s: GatewayConfigSnapshot, opts?: { followOlder?: boolean }): Promise<void> {
    state.applySnapshot(s, opts);
    if (started) await agentPorts.sync(state.agentPorts());
  }

  function health() {
    // From the writer's state, not a query: /health answers at once even while gateway.db is locked.
    const writes = writer.health();
    const extras = options.healthExtras?.() ?? {};
    // A storage threshold crossed (disk watch) is a warning; a failing write is worse.
    const warning = (extras.storage as { status?: string } | undefined)?.status === 'warning';
    return {
      status: writes.db !== 'ok' ? ('degraded' as const) : warning ? ('warning' as const) : ('ok' as const),
      uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
      agents: state.config.snapshot.agents.length,
      connectors: state.config.snapshot.connectors.length,
      version: options.version,
      snapshot_version: state.config.snapshot.version,
      db: writes.db,
      ...(writes.db === 'ok' ? {} : { db_error: writes.error, db_degraded_since: writes.degradedSince }),
      agent_ports: agentPorts.ports(),
      agent_port_errors: agentPorts.failures(),
      active_connections: active.size,
      approval_holds: holds.size,
      traffic_log_queued: writes.queued,
      traffic_log_dropped: writes.dropped,
      traffic_log_durability: writer.durability,
      ...extras,
    };
  }

  return {
    async start() {
      if (main) throw new Error('gateway already started');
      vault.open(); // a wrong master key stops start-up here, before any request is accepted
      state.loadCached();
      // Before the first request: rows an earlier run left open are closed as interrupted.
      writer.start({ recoverInterrupted: true });
      const listener = new ProxyListener({
        host: options.host,
        port: options.port,
        dedicatedPort: null,
        handlers: listenerHandlers,
      });
      await listener.start();
      main = listener;
      started = true;
      await agentPorts.sync(state.agentPorts());
      return { port: listener.port };
    },

    close() {
      closing ??= (async () => {
        // Held requests are answered at once (their approvals stay open for a retry).
        holds.close();
        // After the grace period, what is still open is cut here first (its rows then say why), and
        // the listeners destroy whatever is left just after.
        const grace = setTimeout(() => active.cutAll('cut: the gateway is shutting down'), graceMs);
        const done = Promise.all([main?.close(graceMs + 50), agentPorts.closeAll(graceMs + 50)]);
        // Keep-alive connections inside tunnels close as soon as they are idle, not after 30 s.
        const sweeper = setInterval(() => inner.closeIdleConnections(), 50);
        inner.closeIdleConnections();
        await done;
        clearTimeout(grace);
        clearInterval(sweeper);
        active.cutAll('cut: the gateway is shutting down');
        // Cut streams complete their rows on the next turns of the loop: let them land, then wait
        // until the rows are written (the writer itself is closed by the composition root).
        await new Promise((resolve) => setTimeout(resolve, 20));
        await writer.drain();
      })();
      return closing;
    },

    applySnapshot,
    snapshotRetentionDays: () => state.config.snapshot.retention?.trafficDays,
    vault: {
      set: (connector, secret) => vault.set(connector, secret),
      delete: (connector) => vault.delete(connector),
      has: (connector) => vault.has(connector),
      lastFour: (connector) => vault.lastFour(connector),
    },
    health,
    outbox: writer.outbox,
    get address() {
      return main ? { port: main.port } : undefined;
    },
    agentPort(name) {
      const port = state.config.agentsByName.get(name)?.port ?? undefined;
      return port !== undefined && agentPorts.isOpen(port) ? port : undefined;
    },
    agentPortStatus() {
      const agents = state.config.snapshot.agents;
      return {
        open: agentPorts.ports(),
        errors: agentPorts.failures(),
        held: agents.flatMap((a) => (a.port === null ? [] : [a.port])),
        pendingAgents: agents.filter((a) => a.port === null).map((a) => a.name),
      };
    },
    activateKillSwitch,
    deactivateKillSwitch,
    approvalEvent: (event, data) => holds.streamEvent(event, data),
  };
}

/** A gateway that follows no control plane cannot hold: nobody could decide. */
const noApprovalLink: ApprovalLink = {
  open: () =>
    Promise.reject(
      new ApprovalLinkDown('this gateway follows no control plane (CONTROL_PLANE_URL is not set)'),
    ),
  use: () => Promise.reject(new ApprovalLinkDown('this gateway follows no control plane')),
  reportKillSwitch: async () => {},
  close: async () => {},
};
