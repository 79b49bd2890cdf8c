// The minimum access of every route the control plane serves, in one place. The route guard
// (auth/route-guard.ts) enforces it for every request, and a route missing from it cannot even be
// registered: forgetting a line fails closed. test/control/route-roles.test.ts checks both ways.
//
// Threat model: a route whose role is decided in its own file is one forgotten `preHandler` away
// from being open to every token. Here a reviewer sees every route's bar side by side.
import type { Role } from './accounts/roles.js';

/**
 * `public`: no credential. `service`: the gateway link's shared token (GATEWAY_SERVICE_TOKEN).
 * `maintenance`: MAINTENANCE_SECRET. `agent`: an agent's key (SDK mode; a person's token is refused).
 * A role: an API token (or session) of at least that role.
 */
export type RouteAccess = Role | 'public' | 'service' | 'maintenance' | 'agent';

/** Keyed `METHOD /full/path` exactly as Fastify registers it (`:param` segments included). */
export const ROUTE_ROLES: Readonly<Record<string, RouteAccess>> = {
  // the daemon's own, outside /v1
  'GET /health': 'public',
  'GET /metrics': 'public',
  'POST /api/maintenance/cleanup': 'maintenance',
  'GET /internal/gateway/stream': 'service',
  // the dashboard's files (src/control/dashboard): the app shell and its hashed assets
  'GET /': 'public',
  'GET /*': 'public',
  'POST /internal/gateway/events': 'service',
  'POST /internal/gateway/approvals': 'service',
  'POST /internal/gateway/approvals/:id/use': 'service',
  'PUT /internal/gateway/kill-switch': 'service',
  'POST /internal/gateway/register': 'service',

  'GET /v1/openapi.json': 'public',
  'GET /v1/auth/me': 'viewer',
  // Sign-in is open (and rate limited); sign-out needs the session it ends.
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/logout': 'viewer',

  'GET /v1/agents': 'viewer',
  'POST /v1/agents': 'admin',
  'GET /v1/agents/:name': 'viewer',
  'DELETE /v1/agents/:name': 'admin',
  'POST /v1/agents/:name/suspend': 'admin',
  'POST /v1/agents/:name/resume': 'admin',
  'POST /v1/agents/:name/rotate-key': 'admin',
  'GET /v1/agents/:name/session-keys': 'admin',
  'POST /v1/agents/:name/session-keys': 'admin',
  'DELETE /v1/agents/:name/session-keys/:id': 'admin',
  'GET /v1/gateway-info': 'viewer',
  'GET /v1/gateways': 'viewer',
  'GET /v1/gateways/:name': 'viewer',
  'DELETE /v1/gateways/:name': 'admin',

  'GET /v1/connectors': 'viewer',
  'POST /v1/connectors': 'admin',
  'DELETE /v1/connectors/:name': 'admin',
  'PUT /v1/connectors/:name/credential': 'admin',
  'DELETE /v1/connectors/:name/credential': 'admin',
  'GET /v1/connector-types': 'viewer',
  'GET /v1/connector-types/:type/actions': 'viewer',

  'GET /v1/permissions': 'viewer',
  'POST /v1/permissions': 'admin',
  'DELETE /v1/permissions/:id': 'admin',
  'POST /v1/permissions/preset': 'admin',

  'GET /v1/policies': 'viewer',
  'POST /v1/policies': 'admin',
  'GET /v1/policies/:name': 'viewer',
  'DELETE /v1/policies/:name': 'admin',
  'POST /v1/policies/:name/enable': 'admin',
  'POST /v1/policies/:name/disable': 'admin',
  'GET /v1/policies/:name/versions': 'viewer',
  'POST /v1/policies/:name/rollback': 'admin',
  // Dry run only reads the configuration.
  'POST /v1/dry-run': 'viewer',

  'GET /v1/rate-limits': 'viewer',
  'POST /v1/rate-limits': 'admin',
  'DELETE /v1/rate-limits/:id': 'admin',

  'GET /v1/kill-switch': 'viewer',
  'POST /v1/kill-switch': 'owner',
  'DELETE /v1/kill-switch': 'owner',
  'GET /v1/settings/retention': 'viewer',
  'PUT /v1/settings/retention': 'admin',

  'GET /v1/config/export': 'viewer',
  'POST /v1/config/apply': 'admin',

  'GET /v1/traffic': 'viewer',

  // People: owners manage them (SPEC 5.2); admins may see who has access; anyone signed in as a
  // person changes their own password (docs/api.md, "Users").
  'GET /v1/users': 'admin',
  'POST /v1/users': 'owner',
  'DELETE /v1/users/:email': 'owner',
  'PUT /v1/users/:email/role': 'owner',
  'PUT /v1/users/:email/password': 'owner',
  'PUT /v1/account/password': 'viewer',

  // API tokens: every role makes and revokes its own (never above its role); which tokens a caller
  // sees and may revoke is scoped in control/tokens/token-routes.ts.
  'GET /v1/tokens': 'viewer',
  'POST /v1/tokens': 'viewer',
  'DELETE /v1/tokens/:id': 'viewer',

  // The audit ledger is read-only through the API; viewers read everything (SPEC 5.2).
  'GET /v1/audit': 'viewer',
  'GET /v1/audit/verify': 'viewer',
  'GET /v1/audit/export': 'viewer',
  // Members approve (SPEC 5.2); a rule's approver_roles may ask more of a given approval.
  'GET /v1/approvals': 'viewer',
  'GET /v1/approvals/stream': 'viewer',
  'GET /v1/approvals/:id': 'viewer',
  'POST /v1/approvals/:id/approve': 'member',
  'POST /v1/approvals/:id/deny': 'member',
  'GET /v1/approvals/grants': 'viewer',
  'DELETE /v1/approvals/grants/:id': 'member',
  // Receiver URLs can be credentials themselves (Slack's): admins only.
  'GET /v1/approvals/webhooks': 'admin',
  'POST /v1/approvals/webhooks': 'admin',
  'DELETE /v1/approvals/webhooks/:id': 'admin',
  'GET /v1/approvals/webhooks/deliveries': 'admin',

  // SDK mode (SPEC 5.4): agents ask with their own key; an agent sees only its own requests.
  'POST /v1/actions': 'agent',
  'GET /v1/actions/:id': 'agent',
  'POST /v1/actions/:id/execute': 'agent',
  'GET /.well-known/jwks.json': 'public',
  'POST /internal/decision-tokens/redeem': 'service',
  'GET /v1/keys': 'admin',
  'POST /v1/keys/rotate': 'owner',
};

export function routeKey(method: string, url: string): string {
  // Fastify adds a HEAD route for every GET; it is the GET's route and needs the same access.
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

export function accessOf(method: string, url: string): RouteAccess | undefined {
  const key = routeKey(method, url);
  return Object.hasOwn(ROUTE_ROLES, key) ? ROUTE_ROLES[key] : undefined;
}
