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

/**
 * The gateway an agent or connector is created for: the one named, else the only one there is.
 * With none yet, the control plane's own default (`gateway_name`) is created, so a configuration
 * can be prepared before its gateway first connects; with several, the caller must say which.
 */
export async function findGateway(
  db: Db,
  name: string | undefined,
  defaultName: string,
): Promise<GatewayRow> {
  const all = await db
    .selectFrom('gateways')
    .select(['id', 'name', 'config_version'])
    .orderBy('name')
    .execute();
  if (name !== undefined) {
    const found = all.find((g) => g.name === name);
    if (found) return found;
    if (name === defaultName && all.length === 0) return ensureGateway(db, name);
    throw new AppError(
      'not_found',
      `no gateway named ${name}${all.length ? ` (known: ${all.map((g) => g.name).join(', ')})` : ''}; a gateway is known once it has connected`,
    );
  }
  if (all.length === 1) return all[0]!;
  if (all.length === 0) return ensureGateway(db, defaultName);
  throw new AppError(
    'validation_failed',
    `several gateways are registered (${all.map((g) => g.name).join(', ')}): say which with --gateway NAME`,
  );
}

/** The gateway things go to when none is named: the only one there is, else the configured one. */
export async function defaultGatewayName(db: Db, configured: string): Promise<string> {
  const rows = await db.selectFrom('gateways').select('name').limit(2).execute();
  return rows.length === 1 ? rows[0]!.name : configured;
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
