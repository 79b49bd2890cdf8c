import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../../config/config.js';
import type { ControlDatabase } from '../../storage/control-database.js';
import { databaseAnswers } from './health-store.js';

export interface HealthDeps {
  config: Config;
  db: ControlDatabase;
  metrics: Registry;
  version: string;
  now: () => Date;
  startedAt: Date;
  gatewayUrl?: (() => string | undefined) | undefined;
  /** Every registered gateway: connected or unreachable, versions, outbox backlog. */
  gateways?: (() => Promise<Record<string, unknown>[]>) | undefined;
  healthExtras?: (() => Record<string, unknown>) | undefined;
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get(
    '/health',
    { schema: { summary: 'Control plane health (no authentication)', tags: ['health'] } },
    async (_req, reply) => {
      const database = (await databaseAnswers(deps.db.db)) ? 'ok' : 'error';
      const gatewayUrl = deps.gatewayUrl?.();
      const gateway = gatewayUrl ? await probeGateway(gatewayUrl) : { configured: false };
      const gateways = deps.gateways ? await deps.gateways().catch(() => null) : null;
      const extras = deps.healthExtras?.() ?? {};
      // A storage threshold crossed (disk watch) is a warning: still served, still HTTP 200.
      const warning = (extras.storage as { status?: string } | undefined)?.status === 'warning';
      const body = {
        status: database === 'ok' ? (warning ? 'warning' : 'ok') : 'degraded',
        role: 'control',
        version: deps.version,
        uptime_seconds: Math.floor((deps.now().getTime() - deps.startedAt.getTime()) / 1000),
        database,
        database_kind: deps.db.kind,
        gateway,
        gateways,
        ...extras,
      };
      return reply.status(database === 'ok' ? 200 : 503).send(body);
    },
  );
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (no authentication)', tags: ['health'] } },
    async (_req, reply) => {
      const text = await deps.metrics.metrics();
      return reply.type(deps.metrics.contentType).send(text);
    },
  );
}

async function probeGateway(url: string): Promise<Record<string, unknown>> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json()) as Record<string, unknown>;
    return { configured: true, reachable: res.ok, status: body.status, version: body.version };
  } catch (err) {
    return { configured: true, reachable: false, error: (err as Error).message };
  }
}
