// Connectors' rows: metadata only. The credential itself lives in the gateway's vault; this keeps
// whether one is set and its last four characters.
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Db } from '../db.js';
import { bumpConfigVersion } from '../gateways/gateway-store.js';

export type ConnectorRow = LocalDatabase['connectors'];
export type ConnectorWithGateway = ConnectorRow & { gateway_name: string };
type Database = Kysely<LocalDatabase>;

export async function loadConnector(db: Db, name: string): Promise<ConnectorWithGateway> {
  const row = await db
    .selectFrom('connectors')
    .innerJoin('gateways', 'gateways.id', 'connectors.gateway_id')
    .selectAll('connectors')
    .select('gateways.name as gateway_name')
    .where('connectors.name', '=', name)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `no connector named ${name}`);
  return row;
}

export async function listConnectors(db: Db): Promise<ConnectorWithGateway[]> {
  return db
    .selectFrom('connectors')
    .innerJoin('gateways', 'gateways.id', 'connectors.gateway_id')
    .selectAll('connectors')
    .select('gateways.name as gateway_name')
    .orderBy('connectors.name')
    .execute();
}

/** Inserts a new connector (its name must be free), with `details` in its audit event. */
export async function createConnector(
  db: Database,
  row: ConnectorRow,
  audit: { actor: string; details: Record<string, unknown> },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom('connectors')
      .select('name')
      .where('name', '=', row.name)
      .executeTakeFirst();
    if (clash) throw new AppError('conflict', `a connector named ${row.name} already exists (use --name)`);
    await trx.insertInto('connectors').values(row).execute();
    await bumpConfigVersion(trx, row.gateway_id);
    await appendAuditEvent(trx, {
      type: 'connector.created',
      actor: audit.actor,
      subject: `connector:${row.name}`,
      details: audit.details,
    });
  });
}

/** Removes a connector and the permissions that name it. */
export async function removeConnector(db: Database, c: ConnectorRow, actor: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('connectors').where('id', '=', c.id).execute();
    await trx
      .deleteFrom('permissions')
      .where('gateway_id', '=', c.gateway_id)
      .where('connector', '=', c.name)
      .execute();
    await bumpConfigVersion(trx, c.gateway_id);
    await appendAuditEvent(trx, { type: 'connector.removed', actor, subject: `connector:${c.name}` });
  });
}

/** Records that the vault now holds a credential (`last4` given) or none (`null`). */
export async function recordCredential(
  db: Database,
  c: ConnectorRow,
  credential: { last4: string | null } | null,
  ctx: { actor: string; now: Date },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('connectors')
      .set({
        credential_set: credential ? 1 : 0,
        credential_last4: credential?.last4 ?? null,
        updated_at: ctx.now.toISOString(),
      })
      .where('id', '=', c.id)
      .execute();
    await appendAuditEvent(
      trx,
      credential
        ? {
            type: 'connector.credential_set',
            actor: ctx.actor,
            subject: `connector:${c.name}`,
            details: { last4: credential.last4 },
          }
        : { type: 'connector.credential_removed', actor: ctx.actor, subject: `connector:${c.name}` },
    );
  });
}
