// The kill switch: scopes all, agent:NAME, connector:TYPE. It reaches every gateway through its
// configuration stream at once; the gateway cuts open tunnels and streams in scope.
import type { FastifyInstance } from 'fastify';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import { actorOf } from '../accounts/accounts.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { bumpAllConfigVersions } from '../config/gateways.js';
import type { ConfigRouteDeps } from './route-deps.js';

const SCOPE = '^(all|agent:[a-z0-9][a-z0-9_-]{0,62}|connector:[a-z0-9][a-z0-9_-]{0,62})$';

export function registerKillSwitchRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;
  const active = async () => ({
    active: await db.selectFrom('kill_switch').selectAll().orderBy('activated_at').execute(),
  });

  app.get(
    '/kill-switch',
    { schema: { summary: 'Active kill-switch scopes', tags: ['kill-switch'] } },
    active,
  );

  app.post(
    '/kill-switch',
    {
      preHandler: requireRole('owner'),
      schema: {
        summary: 'Activate the kill switch for a scope',
        tags: ['kill-switch'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            scope: { type: 'string', pattern: SCOPE },
            reason: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (req) => {
      const b = (req.body ?? {}) as { scope?: string; reason?: string };
      const scope = b.scope ?? 'all';
      const actor = actorOf(principalOf(req));
      const ids = await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('kill_switch')
          .values({
            scope,
            reason: b.reason ?? null,
            activated_by: actor,
            activated_at: deps.now().toISOString(),
          })
          .onConflict((oc) =>
            oc.column('scope').doUpdateSet({ reason: b.reason ?? null, activated_by: actor }),
          )
          .execute();
        await appendAuditEvent(trx, {
          type: 'kill_switch.activated',
          actor,
          subject: scope,
          details: { reason: b.reason ?? null },
        });
        return bumpAllConfigVersions(trx);
      });
      for (const id of ids) deps.changes.notify(id);
      return active();
    },
  );

  app.delete(
    '/kill-switch',
    {
      preHandler: requireRole('owner'),
      schema: {
        summary: 'Deactivate the kill switch (one scope, or all of them)',
        tags: ['kill-switch'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { scope: { type: 'string', pattern: SCOPE } },
        },
      },
    },
    async (req) => {
      const { scope } = req.query as { scope?: string };
      const actor = actorOf(principalOf(req));
      const ids = await db.transaction().execute(async (trx) => {
        let q = trx.deleteFrom('kill_switch');
        if (scope) q = q.where('scope', '=', scope);
        const res = await q.executeTakeFirst();
        if (scope && Number(res.numDeletedRows) === 0)
          throw new AppError('not_found', `the kill switch is not active for ${scope}`);
        await appendAuditEvent(trx, {
          type: 'kill_switch.deactivated',
          actor,
          subject: scope ?? 'all scopes',
        });
        return bumpAllConfigVersions(trx);
      });
      for (const id of ids) deps.changes.notify(id);
      return active();
    },
  );
}
