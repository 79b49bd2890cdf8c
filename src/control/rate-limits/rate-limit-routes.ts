// Rate limits (token buckets per agent, optionally per connector or action pattern). Every gateway's
// snapshot carries all of them, so a change bumps every configuration version.
import type { FastifyInstance } from 'fastify';
import type { RateLimitDeleted, RateLimitList, RateLimitSetAnswer } from '../../wire/rate-limits.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import { type ConfigRouteDeps, NAME_PATTERN } from '../route-deps.js';
import {
  deleteRateLimit,
  listRateLimits,
  MAX_BURST,
  MAX_RATE,
  putRateLimit,
  type RateLimitInput,
  rateLimitView,
} from './rate-limit-store.js';

export function registerRateLimitRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  app.post(
    '/rate-limits',
    {
      schema: {
        summary: 'Set a rate limit (replaces the rate and burst of the same agent+connector+action)',
        tags: ['rate-limits'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agent', 'rate', 'burst'],
          properties: {
            agent: {
              anyOf: [
                { type: 'string', const: '*' },
                { type: 'string', pattern: NAME_PATTERN },
              ],
            },
            connector: { type: 'string', pattern: NAME_PATTERN },
            action: { type: 'string', minLength: 1, maxLength: 256 },
            rate: { type: 'number', exclusiveMinimum: 0, maximum: MAX_RATE },
            burst: { type: 'integer', minimum: 1, maximum: MAX_BURST },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as RateLimitInput;
      const actor = actorOf(principalOf(req));
      const { outcome, gatewayIds } = await putRateLimit(db, b, { actor, now: deps.now() });
      for (const id of gatewayIds) deps.changes.notify(id);
      return reply.status(outcome.change === 'created' ? 201 : 200).send({
        change: outcome.change,
        rate_limit: rateLimitView(outcome.row),
      } satisfies RateLimitSetAnswer);
    },
  );

  app.get(
    '/rate-limits',
    {
      schema: {
        summary: 'List rate limits (with ?agent=, those that apply to that agent)',
        tags: ['rate-limits'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { agent: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (req) => {
      const { agent } = req.query as { agent?: string };
      return { rate_limits: (await listRateLimits(db, agent)).map(rateLimitView) } satisfies RateLimitList;
    },
  );

  app.delete(
    '/rate-limits/:id',
    {
      schema: {
        summary: 'Remove a rate limit',
        tags: ['rate-limits'],
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
          required: ['id'],
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const actor = actorOf(principalOf(req));
      const ids = await deleteRateLimit(db, id, { actor });
      for (const g of ids) deps.changes.notify(g);
      return { deleted: true, id } satisfies RateLimitDeleted;
    },
  );
}
