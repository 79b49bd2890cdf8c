// Enforces ../route-roles.ts: registering a route the table does not name throws (so the server
// does not start), and every request is checked against its route's entry before anything else
// runs (body parsing, validation, the handler).
//
// Threat model: callers are untrusted until proven otherwise. Shared secrets are compared in
// constant time; a disabled secret-guarded endpoint answers 404, as if it did not exist.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Kysely } from 'kysely';
import type { Secret } from '../../config/secret.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { authenticateAgentKey, isAgentKey } from '../actions/agent-key-store.js';
import { accessOf, routeKey } from '../route-roles.js';
import { authenticate, bearerToken, checkRole } from './authenticate.js';

export interface RouteGuardDeps {
  db: Kysely<LocalDatabase>;
  now: () => Date;
  /** The gateway link's token; without it the `service` routes do not exist. */
  serviceToken: Secret | undefined;
  /** MAINTENANCE_SECRET; without it the `maintenance` routes do not exist. */
  maintenanceSecret: Secret | undefined;
}

export interface RouteGuard {
  /** Every route registered so far, as `METHOD /path` (HEAD routes folded into their GET). */
  routes(): string[];
}

/** Install on the root instance before any route is registered. */
export function installRouteGuard(app: FastifyInstance, deps: RouteGuardDeps): RouteGuard {
  const seen = new Set<string>();
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (accessOf(method, route.url) === undefined) {
        throw new Error(`route ${method} ${route.url} has no entry in src/control/route-roles.ts`);
      }
      seen.add(routeKey(method, route.url));
    }
  });
  app.addHook('onRequest', async (req) => {
    // No matched route: the 404 handler answers, with nothing to protect.
    const url = req.routeOptions.url;
    if (url === undefined) return;
    const access = accessOf(req.method, url);
    switch (access) {
      case 'public':
        return;
      case 'service':
        if (!deps.serviceToken)
          throw new AppError('not_found', 'the gateway link is disabled (no GATEWAY_SERVICE_TOKEN)');
        if (!secretMatches(req, deps.serviceToken))
          throw new AppError('unauthenticated', 'a valid service token is required');
        return;
      case 'maintenance':
        if (!deps.maintenanceSecret)
          throw new AppError('not_found', 'the maintenance endpoint is disabled (set MAINTENANCE_SECRET)');
        if (!secretMatches(req, deps.maintenanceSecret))
          throw new AppError('unauthenticated', 'Authorization: Bearer $MAINTENANCE_SECRET is required');
        return;
      case 'agent': {
        // SDK mode: the agent's own key, never a person's token.
        const key = bearerToken(req);
        const agent =
          key && isAgentKey(key) ? await authenticateAgentKey(deps.db, key, deps.now()) : undefined;
        if (!agent)
          throw new AppError(
            'unauthenticated',
            'an agent key is required (Authorization: Bearer tf_agent_… or tf_sess_…)',
          );
        if (agent.suspended) throw new AppError('agent_suspended', `agent ${agent.name} is suspended`);
        req.agentPrincipal = agent;
        return;
      }
      case undefined:
        // Unreachable (onRoute refuses such routes); refuse rather than guess.
        throw new AppError('forbidden', 'this route has no declared access');
      default:
        checkRole(await authenticate(deps.db, req, deps.now()), access);
    }
  });
  return { routes: () => [...seen].sort() };
}

function secretMatches(req: FastifyRequest, secret: Secret): boolean {
  const given = Buffer.from(bearerToken(req) ?? '');
  const want = Buffer.from(secret.reveal());
  return given.length === want.length && timingSafeEqual(given, want);
}
