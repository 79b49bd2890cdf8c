// POST /api/maintenance/cleanup, as on the architecture page: `Authorization: Bearer
// $MAINTENANCE_SECRET`. Without the secret configured the endpoint does not exist.

import type { KeyObject } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Secret } from '../../config/secret.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { runCleanup } from '../maintenance.js';

export interface MaintenanceDeps {
  db: Kysely<LocalDatabase>;
  secret: Secret | undefined;
  retentionDays: number;
  keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  now: () => Date;
}

export function registerMaintenanceRoutes(app: FastifyInstance, deps: MaintenanceDeps): void {
  app.post(
    '/api/maintenance/cleanup',
    { schema: { summary: 'Purge data past retention', tags: ['maintenance'] } },
    async (req) => {
      if (!deps.secret || !deps.keys)
        throw new AppError('not_found', 'the maintenance endpoint is disabled (set MAINTENANCE_SECRET)');
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const given = Buffer.from(m?.[1] ?? '');
      const want = Buffer.from(deps.secret.reveal());
      if (given.length !== want.length || !timingSafeEqual(given, want)) {
        throw new AppError('unauthenticated', 'Authorization: Bearer $MAINTENANCE_SECRET is required');
      }
      return runCleanup(deps.db, { retentionDays: deps.retentionDays, now: deps.now(), ...deps.keys });
    },
  );
}
