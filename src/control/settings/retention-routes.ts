// /v1/settings/retention: how long each gateway keeps its traffic log and the control plane its
// audit log, where each value comes from, and what the last sweeps removed. Admins set the traffic
// retention of every gateway here; a gateway whose own flag, environment or config.yaml sets one
// keeps it (see src/daemon/upkeep/traffic-retention-in-force.ts). The audit retention is the control
// plane's AUDIT_RETENTION_DAYS: shown, not set here (pruning it writes a signed anchor).
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { DEFAULTS } from '../../config/config.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { RetentionSettings, RetentionSweepView, SetRetentionBody } from '../../wire/retention.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import type { ConfigChanges } from '../gateways/config-changes.js';
import type { ConnectedGateways } from '../gateways/connected-gateways.js';
import { listRegistry, parseReport } from '../gateways/gateway-registry-store.js';
import { setTrafficRetention, storedTrafficRetention } from './retention-store.js';

export interface RetentionRouteDeps {
  db: Kysely<LocalDatabase>;
  changes: ConfigChanges;
  connected: ConnectedGateways;
  auditRetentionDays: number;
  /** The control plane's own storage block (as in its /health), when the daemon watches it. */
  storage: () => Record<string, unknown> | undefined;
}

interface ControlStorage {
  databases?: { 'local.db'?: { bytes?: number } };
  retention?: { last_sweep?: (RetentionSweepView & { freed_bytes: number }) | null } | null;
}

export function registerRetentionRoutes(app: FastifyInstance, deps: RetentionRouteDeps): void {
  const { db } = deps;
  const settings = async (): Promise<RetentionSettings> => {
    const storage = deps.storage() as ControlStorage | undefined;
    const sweep = storage?.retention?.last_sweep;
    const connected = await deps.connected.current();
    return {
      traffic: {
        days: await storedTrafficRetention(db),
        default_days: DEFAULTS.trafficRetentionDays,
        gateways: (await listRegistry(db)).map((g) => ({
          name: g.name,
          status: connected.isConnected(g.id) ? 'connected' : 'unreachable',
          retention: parseReport(g)?.retention ?? null,
        })),
      },
      audit: {
        days: deps.auditRetentionDays,
        last_sweep: sweep
          ? {
              started_at: sweep.started_at,
              cutoff: sweep.cutoff,
              deleted: sweep.deleted,
              freed_bytes: Math.round(sweep.freed_bytes),
              error: sweep.error,
            }
          : null,
        database_bytes: storage?.databases?.['local.db']?.bytes ?? null,
      },
    };
  };

  app.get(
    '/settings/retention',
    {
      schema: {
        summary: 'Retention of the traffic and audit logs, and their last sweeps',
        tags: ['settings'],
      },
    },
    settings,
  );

  app.put(
    '/settings/retention',
    {
      schema: {
        summary: "Set every gateway's traffic-log retention (a gateway's own setting still wins)",
        tags: ['settings'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['traffic_days'],
          properties: {
            traffic_days: { type: ['integer', 'null'], minimum: 0, maximum: 36_500 },
          },
        },
      },
    },
    async (req) => {
      const { traffic_days } = req.body as SetRetentionBody;
      const { gatewayIds } = await setTrafficRetention(db, traffic_days, actorOf(principalOf(req)));
      for (const id of gatewayIds) deps.changes.notify(id);
      return settings();
    },
  );
}
