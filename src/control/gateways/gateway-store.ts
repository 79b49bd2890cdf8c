// Gateways known to this control plane. Every configuration change bumps its gateway's version in
// the same transaction, which is what a gateway's stream compares against.
import { AppError } from '../../errors/codes.js';
import { randomId } from '../auth/secret-tokens.js';
import type { Db } from '../db.js';

export interface GatewayRow {
  id: string;
  name: string;
  config_version: number;
}

export async function ensureGateway(db: Db, name: string): Promise<GatewayRow> {
  const found = await db
    .selectFrom('gateways')
    .select(['id', 'name', 'config_version'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (found) return found;
  const row = {
    id: randomId(),
    name,
    config_version: 1,
    last_event_id: 0,
    created_at: new Date().toISOString(),
  };
  await db
    .insertInto('gateways')
    .values(row)
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return db
    .selectFrom('gateways')
    .select(['id', 'name', 'config_version'])
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
}

export async function findGateway(
  db: Db,
  name: string | undefined,
  defaultName: string,
): Promise<GatewayRow> {
  const wanted = name ?? defaultName;
  if (wanted === defaultName) return ensureGateway(db, wanted);
  const found = await db
    .selectFrom('gateways')
    .select(['id', 'name', 'config_version'])
    .where('name', '=', wanted)
    .executeTakeFirst();
  if (!found) throw new AppError('not_found', `no gateway named ${wanted}`);
  return found;
}

export async function bumpConfigVersion(trx: Db, gatewayId: string): Promise<void> {
  await trx
    .updateTable('gateways')
    .set((eb) => ({ config_version: eb('config_version', '+', 1) }))
    .where('id', '=', gatewayId)
    .execute();
}

/** Kill switch and policies apply to every gateway: bump them all. */
export async function bumpAllConfigVersions(trx: Db): Promise<string[]> {
  await trx
    .updateTable('gateways')
    .set((eb) => ({ config_version: eb('config_version', '+', 1) }))
    .execute();
  return (await trx.selectFrom('gateways').select('id').execute()).map((r) => r.id);
}

/** A gateway opened its stream: when, and which version it runs. */
export async function markGatewaySeen(
  db: Db,
  gatewayId: string,
  now: Date,
  version: string | null,
): Promise<void> {
  await db
    .updateTable('gateways')
    .set({ last_seen_at: now.toISOString(), version })
    .where('id', '=', gatewayId)
    .execute();
}
