// Who is calling the /v1 API. API tokens (tf_pat_…) arrive as `Authorization: Bearer`; dashboard
// sessions come later through a cookie. Which role a route needs is decided in ../route-roles.ts
// and checked by ./route-guard.ts, never per route.
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { authenticateApiToken, type Principal } from '../accounts/account-store.js';
import { type Role, roleAtLeast } from '../accounts/roles.js';
import type { AgentPrincipal } from '../actions/agent-key-store.js';
import { authenticateSession } from '../sessions/session-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** SDK mode's caller (routes of access `agent`). */
    agentPrincipal: AgentPrincipal | null;
  }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** Sets `req.principal`, or refuses with 401. */
export async function authenticate(
  db: Kysely<LocalDatabase>,
  req: FastifyRequest,
  now: Date,
): Promise<Principal> {
  const token = bearerToken(req);
  const principal = token
    ? await authenticateApiToken(db, token, now)
    : await authenticateSession(db, req, now);
  if (!principal) {
    throw new AppError(
      'unauthenticated',
      'sign in, or send a valid API token (Authorization: Bearer tf_pat_…)',
    );
  }
  req.principal = principal;
  return principal;
}

export function checkRole(p: Principal, role: Role): void {
  if (!roleAtLeast(p.role, role)) {
    throw new AppError('insufficient_role', `this needs the ${role} role; you are ${p.role}`, {
      required_role: role,
      role: p.role,
    });
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('unauthenticated', 'authentication required');
  return req.principal;
}
