// Traffic as the control plane knows it: the `action.*` events gateways ship through their outbox,
// completed from the gateways' traffic logs (traffic-entries.ts).
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { TrafficPage } from '../../wire/traffic.js';
import { type TrafficRowSource, trafficPage } from './traffic-entries.js';
import { ACTION_FILTER, PARAM_FILTER, type TrafficQuery } from './traffic-store.js';

export function registerTrafficRoutes(
  app: FastifyInstance,
  deps: { db: Kysely<LocalDatabase>; rowsOf: TrafficRowSource },
): void {
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
    async (req): Promise<TrafficPage> => trafficPage(deps.db, req.query as TrafficQuery, deps.rowsOf),
  );
}
