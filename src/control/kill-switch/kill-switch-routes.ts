// The kill switch: scopes all, agent:NAME, connector:TYPE. It reaches every gateway through its
// configuration stream at once; the gateway cuts open tunnels and streams in scope.
import type { FastifyInstance } from 'fastify';
import type { KillSwitchState } from '../../wire/kill-switch.js';
import { actorOf } from '../accounts/account-store.js';
import { reportedKillSwitches } from '../approvals/reported-kill-switch-store.js';
import { principalOf } from '../auth/authenticate.js';
import type { ConfigRouteDeps } from '../route-deps.js';
import { activateKillSwitch, activeKillSwitches, deactivateKillSwitch } from './kill-switch-store.js';

const SCOPE = '^(all|agent:[a-z0-9][a-z0-9_-]{0,62}|connector:[a-z0-9][a-z0-9_-]{0,62})$';

export function registerKillSwitchRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;
  // `gateways`: entries set on a gateway itself (while its control plane was away), as it reported them.
  const active = async (): Promise<KillSwitchState> => ({
    active: await activeKillSwitches(db),
    gateways: await reportedKillSwitches(db),
  });

  app.get(
    '/kill-switch',
    { schema: { summary: 'Active kill-switch scopes', tags: ['kill-switch'] } },
    active,
  );

  app.post(
    '/kill-switch',
    {
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
      const ids = await activateKillSwitch(db, scope, b.reason ?? null, { actor, now: deps.now() });
      for (const id of ids) deps.changes.notify(id);
      await deps.approvals?.killSwitchActivated(scope, actor);
      return active();
    },
  );

  app.delete(
    '/kill-switch',
    {
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
      const ids = await deactivateKillSwitch(db, scope, actor);
      for (const id of ids) deps.changes.notify(id);
      return active();
    },
  );
}
