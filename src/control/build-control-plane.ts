import { type KeyObject, randomUUID } from 'node:crypto';
// The control plane's HTTP server: built without binding, started, closed. Routes are registered
// from explicit functions; services are passed in, never hung on the Fastify instance.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { Secret } from '../config/secret.js';
import type { ControlDatabase } from '../storage/control-database.js';
import type { OutboxAck, OutboxBatch } from '../sync/outbox-event.js';
import { anchorKeys, noKeyRing, type SigningKeyRing } from '../tokens/signing-key-ring.js';
import type { ActionApprovals } from './actions/action-approvals.js';
import { registerActionRoutes } from './actions/action-routes.js';
import { registerDecisionTokenRoutes } from './actions/decision-token-routes.js';
import { serviceActionApprovals } from './actions/service-action-approvals.js';
import { registerAgentRoutes } from './agents/agent-routes.js';
import { registerApprovalRoutes } from './approvals/approval-routes.js';
import { ApprovalService } from './approvals/approval-service.js';
import { registerApprovalStreamRoutes } from './approvals/approval-stream-routes.js';
import { approvalStreamEvents, registerGatewayApprovalRoutes } from './approvals/gateway-approval-routes.js';
import { registerWebhookRoutes } from './approvals/webhook-routes.js';
import { registerAuditRoutes } from './audit/audit-routes.js';
import { registerAuthRoutes } from './auth/auth-routes.js';
import { installRouteGuard } from './auth/route-guard.js';
import { registerConfigRoutes } from './config-document/config-routes.js';
import { registerConnectorRoutes } from './connectors/connector-routes.js';
import { registerDashboard } from './dashboard/serve-dashboard.js';
import { registerDryRunRoutes } from './dry-run/dry-run-routes.js';
import { ConfigChanges } from './gateways/config-changes.js';
import { ConnectedGateways } from './gateways/connected-gateways.js';
import { createGatewayEventIntake } from './gateways/gateway-event-store.js';
import { createGatewayLinks } from './gateways/gateway-link.js';
import { registerGatewayRegistrationRoutes } from './gateways/gateway-registration-routes.js';
import { gatewaysHealth, registerGatewayRoutes } from './gateways/gateway-routes.js';
import { acceptOutboxBatch, registerGatewaySyncRoutes } from './gateways/gateway-sync-routes.js';
import { registerHealthRoutes } from './health/health-routes.js';
import { registerKeyRoutes } from './keys/key-routes.js';
import { registerKillSwitchRoutes } from './kill-switch/kill-switch-routes.js';
import { registerMaintenanceRoutes } from './maintenance/maintenance-routes.js';
import { collectOpenApi } from './openapi.js';
import { registerPermissionRoutes } from './permissions/permission-routes.js';
import { registerPolicyRoutes } from './policies/policy-routes.js';
import { handleError, handleNotFound } from './problem-reply.js';
import { registerRateLimitRoutes } from './rate-limits/rate-limit-routes.js';
import type { ConfigRouteDeps } from './route-deps.js';
import { registerSessionRoutes } from './sessions/session-routes.js';
import { registerRetentionRoutes } from './settings/retention-routes.js';
import { registerTokenRoutes } from './tokens/token-routes.js';
import { registerTrafficRoutes } from './traffic/traffic-routes.js';
import { registerUserRoutes } from './users/user-routes.js';

export interface ControlPlaneDeps {
  config: Config;
  logger: Logger;
  db: ControlDatabase;
  metrics: Registry;
  version: string;
  now?: (() => Date) | undefined;
  /** Base URL of the gateway this control plane talks to, when known. */
  gatewayUrl?: (() => string | undefined) | undefined;
  /** The ES256 key pair from signing.key; without it the maintenance endpoint is disabled. */
  signingKeys?: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  /** The signing keys over time (decision tokens, JWKS, anchors); without it those answer 503. */
  keyRing?: SigningKeyRing | undefined;
  /** Approvals for SDK mode's pending actions; default: the approvals service (tests may drive it). */
  actionApprovals?: ActionApprovals | undefined;
  /** More for /health from outside the control plane (the daemon adds storage). */
  healthExtras?: (() => Record<string, unknown>) | undefined;
  /** Shared secret of the gateway link (GATEWAY_SERVICE_TOKEN, or a per-process one in role all). */
  serviceToken?: Secret | undefined;
  /**
   * Extra route registrations (other parts of the product add theirs through this). Each route also
   * needs its line in ./route-roles.ts, or registering it throws.
   */
  routes?: ((app: FastifyInstance, scope: 'v1' | 'root') => void)[] | undefined;
}

export interface ControlPlane {
  readonly app: FastifyInstance;
  readonly changes: ConfigChanges;
  /** Approvals: SDK mode opens its pending approvals through `approvals.request()`. */
  readonly approvals: ApprovalService;
  start(): Promise<{ port: number }>;
  close(): Promise<void>;
  readonly address: { port: number } | undefined;
  /** Every route served, as `METHOD /path` (the keys of ./route-roles.ts). */
  routes(): string[];
  /**
   * The intake of a gateway's outbox for a gateway in this same process (`--role=all`): what
   * `POST /internal/gateway/events` does, without the HTTP request (gateway-sync-routes.ts).
   */
  deliverOutbox(batch: OutboxBatch): Promise<OutboxAck>;
}

export function buildControlPlane(deps: ControlPlaneDeps): ControlPlane {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Unknown fields are rejected, not silently dropped: a typo in a security setting must be loud.
    ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: 'array' } },
    forceCloseConnections: 'idle',
    // Named in every problem answer and log line; random so it says nothing about traffic volume.
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('agentPrincipal', null);
  const keys = deps.keyRing ?? noKeyRing;
  const guard = installRouteGuard(app, {
    db: deps.db.db,
    now,
    serviceToken: deps.serviceToken,
    // Cleanup writes a signed anchor: without the signing key the endpoint cannot work at all.
    maintenanceSecret: deps.signingKeys ? deps.config.maintenanceSecret : undefined,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request');
  });
  const openapi = collectOpenApi(app, { version: deps.version });
  const changes = new ConfigChanges(deps.db.feed);
  const connected = new ConnectedGateways(
    deps.db.kind === 'postgres'
      ? {
          db: deps.db.db,
          now,
          onError: (err) => deps.logger.warn({ err }, 'could not record a gateway stream in the database'),
        }
      : undefined,
  );
  const link = createGatewayLinks({
    db: deps.db.db,
    overrideUrl: () => deps.gatewayUrl?.(),
    defaultName: deps.config.gatewayName,
    serviceToken: deps.serviceToken,
  });
  const approvals = new ApprovalService({
    db: deps.db.db,
    logger: deps.logger.child({ part: 'approvals' }),
    now,
    registry: deps.metrics,
    version: deps.version,
    expirySeconds: deps.config.approvalExpirySeconds,
    feed: deps.db.feed,
  });
  const approvalDeps = { db: deps.db.db, approvals, now };
  const configDeps: ConfigRouteDeps = { db: deps.db.db, changes, link, config: deps.config, now, approvals };

  registerHealthRoutes(app, {
    ...deps,
    now,
    startedAt,
    gateways: () => gatewaysHealth(deps.db.db, connected),
  });
  const intake = createGatewayEventIntake(deps.db, { registry: deps.metrics });
  const deliverOutbox = (batch: OutboxBatch) => acceptOutboxBatch({ db: deps.db.db, intake, now }, batch);
  registerGatewaySyncRoutes(app, {
    db: deps.db.db,
    intake,
    changes,
    connected,
    logger: deps.logger.child({ part: 'sync' }),
    now,
    streamEvents: approvalStreamEvents(approvalDeps),
  });
  registerGatewayRegistrationRoutes(app, {
    db: deps.db.db,
    changes,
    connected,
    links: link,
    logger: deps.logger.child({ part: 'sync' }),
    now,
  });
  registerGatewayApprovalRoutes(app, approvalDeps);
  registerMaintenanceRoutes(app, {
    db: deps.db.db,
    retentionDays: deps.config.auditRetentionDays,
    keys: deps.signingKeys ? anchorKeys(keys) : undefined,
    now,
  });
  registerDecisionTokenRoutes(app, { db: deps.db.db, keys, now });
  for (const r of deps.routes ?? []) r(app, 'root');
  registerDashboard(app);

  void app.register(
    async (v1) => {
      v1.get(
        '/openapi.json',
        {
          schema: { summary: 'This document: every route, who may call it, what it accepts', tags: ['meta'] },
        },
        async () => openapi(),
      );
      registerAuthRoutes(v1, { db: deps.db.db });
      registerSessionRoutes(v1, { db: deps.db.db, now });
      registerAgentRoutes(v1, configDeps);
      registerGatewayRoutes(v1, { db: deps.db.db, connected, link, config: deps.config });
      registerConnectorRoutes(v1, configDeps);
      registerPermissionRoutes(v1, configDeps);
      registerKillSwitchRoutes(v1, configDeps);
      registerPolicyRoutes(v1, configDeps);
      registerDryRunRoutes(v1, configDeps);
      registerRateLimitRoutes(v1, configDeps);
      registerConfigRoutes(v1, configDeps);
      registerRetentionRoutes(v1, {
        db: deps.db.db,
        changes,
        connected,
        auditRetentionDays: deps.config.auditRetentionDays,
        storage: () => deps.healthExtras?.().storage as Record<string, unknown> | undefined,
      });
      registerTrafficRoutes(v1, {
        db: deps.db.db,
        rowsOf: (gateway, ids) => link.to(gateway).trafficRows(ids),
      });
      registerUserRoutes(v1, { db: deps.db.db, now });
      registerTokenRoutes(v1, { db: deps.db.db, now });
      registerAuditRoutes(v1, {
        db: deps.db.db,
        publicKeys: () => keys.allPublicKeys(),
        now,
      });
      registerApprovalRoutes(v1, approvalDeps);
      registerApprovalStreamRoutes(v1, approvalDeps);
      registerWebhookRoutes(v1, approvalDeps);
      registerActionRoutes(v1, {
        db: deps.db.db,
        keys,
        approvals: deps.actionApprovals ?? serviceActionApprovals(approvals, deps.db.db),
        now,
      });
      registerKeyRoutes(v1, { keys, now });
      for (const r of deps.routes ?? []) r(v1, 'v1');
    },
    { prefix: '/v1' },
  );

  let address: { port: number } | undefined;
  return {
    app,
    changes,
    approvals,
    deliverOutbox,
    get address() {
      return address;
    },
    async start() {
      await app.listen({ host: deps.config.host, port: deps.config.port });
      const addr = app.server.address();
      address = { port: typeof addr === 'object' && addr ? addr.port : deps.config.port };
      approvals.start();
      return address;
    },
    async close() {
      // A request in flight when closing starts (a gateway registering, slower on PostgreSQL) leaves
      // a keep-alive connection behind once answered; the idle sweep at close has already run, so
      // without sweeping again the server would wait out the keep-alive timeout (72 s).
      const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      changes.close();
      await connected.close();
      await approvals.close();
    },
    routes: guard.routes,
  };
}

declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
  }
}
