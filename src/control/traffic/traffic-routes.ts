// Traffic as the control plane knows it: the `action.*` events gateways ship through their outbox.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { TrafficEntry, TrafficPage } from '../../wire/traffic.js';
import { ACTION_FILTER, PARAM_FILTER, type TrafficQuery, trafficEvents } from './traffic-store.js';

export function registerTrafficRoutes(app: FastifyInstance, deps: { db: Kysely<LocalDatabase> }): void {
  app.get(
    '/traffic',
    {
      schema: {
        summary: 'Recent proxied requests (oldest first)',
        tags: ['traffic'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            last: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            agent: { type: 'string', maxLength: 63 },
            decision: { type: 'string', maxLength: 32 },
            action: { type: 'string', pattern: ACTION_FILTER },
            param: {
              type: 'array',
              maxItems: 8,
              items: { type: 'string', pattern: PARAM_FILTER },
              description: 'NAME=VALUE on the action parameters (repeatable; dotted names reach nested ones)',
            },
            after_id: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (req): Promise<TrafficPage> => {
      const q = req.query as TrafficQuery;
      const rows = await trafficEvents(deps.db, q);
      const entries = rows.map((r): TrafficEntry => {
        // The gateway's action event (see src/gateway/traffic-log), as its outbox shipped it.
        const d = JSON.parse(r.details) as Partial<TrafficEntry> & { reasons?: unknown };
        return {
          id: r.id,
          created_at: d.created_at ?? r.created_at,
          event_type: r.event_type,
          request_id: d.request_id ?? null,
          gateway: d.gateway ?? null,
          agent: d.agent ?? null,
          connector: d.connector ?? null,
          action: d.action ?? null,
          method: d.method ?? null,
          host: d.host ?? null,
          path: d.path ?? null,
          decision: d.decision ?? null,
          reason: d.reason ?? (Array.isArray(d.reasons) ? (d.reasons as string[]).join('; ') : null),
          status: d.status ?? null,
          latency_ms: d.latency_ms ?? null,
          bytes_in: d.bytes_in ?? null,
          bytes_out: d.bytes_out ?? null,
          error: d.error ?? null,
          mode: d.mode ?? null,
          params: d.params ?? null,
        };
      });
      const lastId = rows.length ? rows[rows.length - 1]!.id : (q.after_id ?? 0);
      return { entries, last_id: lastId };
    },
  );
}
