import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Me } from '../../wire/auth.js';
import { userEmail } from '../accounts/account-store.js';
import { sessionOf } from '../sessions/session-auth.js';
import { principalOf } from './authenticate.js';

export function registerAuthRoutes(app: FastifyInstance, deps: { db: Kysely<LocalDatabase> }): void {
  app.get(
    '/auth/me',
    { schema: { summary: "The caller's identity and role", tags: ['auth'] } },
    async (req): Promise<Me> => {
      const p = principalOf(req);
      const email = p.userId ? await userEmail(deps.db, p.userId) : null;
      const csrf = sessionOf(req)?.csrfToken;
      return {
        kind: p.kind,
        name: p.name,
        role: p.role,
        user_id: p.userId,
        email,
        ...(csrf ? { csrf_token: csrf } : {}),
      };
    },
  );
}
