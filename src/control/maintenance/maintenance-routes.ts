// POST /api/maintenance/cleanup, as on the architecture page: `Authorization: Bearer
// $MAINTENANCE_SECRET` (checked by the route guard; without the secret the endpoint does not exist).
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AnchorKeys } from '../../audit/anchor.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { runCleanup } from './maintenance-store.js';

export interface MaintenanceDeps {
  db: Kysely<LocalDatabase>;
  retentionDays: number;
  /** The current signing key and every public key ever used (anchors may predate a rotation). */
  keys: AnchorKeys | undefined;
  now: () => Date;
}

export function registerMaintenanceRoutes(app: FastifyInstance, deps: MaintenanceDeps): void {
  app.post(
    '/api/maintenance/cleanup',
    { schema: { summary: 'Purge data past retention', tags: ['maintenance'] } },
    async () => {
      if (!deps.keys)
        throw new AppError('not_found', 'the maintenance endpoint is disabled (no signing key)');
      return runCleanup(deps.db, {
        retentionDays: deps.retentionDays,
        now: deps.now(),
        ...(await deps.keys()),
      });
    },
  );
}
