// Rate limits (token buckets per agent, optionally per connector or action pattern). Every gateway's
// snapshot carries all of them, so a change bumps every configuration version.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors/codes.js';
import { actorOf } from '../accounts/accounts.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { bumpAllConfigVersions, type Db } from '../config/gateways.js';
import {
  MAX_BURST,
  MAX_RATE,
  type RateLimitInput,
  rateLimitView,
  removeRateLimit,
  setRateLimit,
} from '../policies/rate-limit-store.js';
import { type ConfigRouteDeps, NAME_PATTERN } from './route-deps.js';

/** A limit names an agent that exists (or '*'), and a connector that exists where that agent is. */
export async function checkRateLimitTargets(db: Db, r: Pick<RateLimitInput, 'agent' | 'connector'>) {
  let gatewayId: string | undefined;
  if (r.agent !== '*') {
    const a = await db
      .selectFrom('agents')
      .select('gateway_id')
      .where('name', '=', r.agent)
      .executeTakeFirst();
    if (!a) throw new AppError('not_found', `no agent named ${r.agent}`);
    gatewayId = a.gateway_id;
  }
  if (r.connector !== undefined) {
    let q = db.selectFrom('connectors').select('name').where('name', '=', r.connector);
    if (gatewayId) q = q.where('gateway_id', '=', gatewayId);
    if (!(await q.executeTakeFirst()))
      throw new AppError(
        'not_found',
        `no connector named ${r.connector}${gatewayId ? " on the agent's gateway" : ''}`,
      );
  }
}

export function registerRateLimitRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  app.post(
    '/rate-limits',
    {
      preHandler: requireRole('admin'),
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
      let ids: string[] = [];
      const outcome = await db.transaction().execute(async (trx) => {
        await checkRateLimitTargets(trx, b);
        const o = await setRateLimit(trx, b, { actor, now: deps.now() });
        if (o.change !== 'unchanged') ids = await bumpAllConfigVersions(trx);
        return o;
      });
      for (const id of ids) deps.changes.notify(id);
      return reply
        .status(outcome.change === 'created' ? 201 : 200)
        .send({ change: outcome.change, rate_limit: rateLimitView(outcome.row) });
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
      let q = db.selectFrom('rate_limits').selectAll().orderBy('agent').orderBy('created_at').orderBy('id');
      // An agent's limits include those set for every agent.
      if (agent) q = q.where('agent', 'in', [agent, '*']);
      return { rate_limits: (await q.execute()).map(rateLimitView) };
    },
  );

  app.delete(
    '/rate-limits/:id',
    {
      preHandler: requireRole('admin'),
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
      const ids = await db.transaction().execute(async (trx) => {
        await removeRateLimit(trx, id, { actor });
        return bumpAllConfigVersions(trx);
      });
      for (const g of ids) deps.changes.notify(g);
      return { deleted: true, id };
    },
  );
}
