import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { principalOf } from '../auth/authenticate.js';

export function registerAuthRoutes(app: FastifyInstance, deps: { db: Kysely<LocalDatabase> }): void {
  app.get(
    '/auth/me',
    { schema: { summary: "The caller's identity and role", tags: ['auth'] } },
    async (req) => {
      const p = principalOf(req);
      let email: string | null = null;
      if (p.userId) {
        const u = await deps.db
          .selectFrom('users')
          .select('email')
          .where('id', '=', p.userId)
          .executeTakeFirst();
        email = u?.email ?? null;
      }
      return { kind: p.kind, name: p.name, role: p.role, user_id: p.userId, email };
    },
  );
}
