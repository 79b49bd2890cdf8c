// Agents' rows: identity (the key's hash), dedicated port, mode, labels, status, and session keys.
// Every change bumps its gateway's configuration version and appends its audit event in the same
// transaction.
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { isUniqueViolation } from '../../storage/unique-violation.js';
import type { Db } from '../db.js';
import { bumpConfigVersion, type GatewayRow } from '../gateways/gateway-store.js';

export type AgentRow = LocalDatabase['agents'];
export type AgentWithGateway = AgentRow & { gateway_name: string };
type Database = Kysely<LocalDatabase>;

export async function portsInUse(db: Db, gatewayId: string): Promise<Set<number>> {
  const rows = await db.selectFrom('agents').select('port').where('gateway_id', '=', gatewayId).execute();
  return new Set(rows.map((r) => r.port).filter((p): p is number => p !== null));
}

export async function loadAgent(db: Db, name: string): Promise<AgentWithGateway> {
  const row = await db
    .selectFrom('agents')
    .innerJoin('gateways', 'gateways.id', 'agents.gateway_id')
    .selectAll('agents')
    .select('gateways.name as gateway_name')
    .where('agents.name', '=', name)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `no agent named ${name}`);
  return row;
}

export async function listAgents(db: Db): Promise<AgentWithGateway[]> {
  return db
    .selectFrom('agents')
    .innerJoin('gateways', 'gateways.id', 'agents.gateway_id')
    .selectAll('agents')
    .select('gateways.name as gateway_name')
    .orderBy('agents.name')
    .execute();
}

/** Inserts a new agent; its name must be free, and its port on its gateway. */
export async function createAgent(
  db: Database,
  row: AgentRow,
  gw: GatewayRow,
  audit: { actor: string; labels: Record<string, string> },
): Promise<void> {
  try {
    await insertAgent(db, row, gw, audit);
  } catch (err) {
    // Another writer (a concurrent request, another control-plane process) passed the same clash
    // check at the same moment; the unique indexes decided.
    if (!isUniqueViolation(err)) throw err;
    const named = await db.selectFrom('agents').select('id').where('name', '=', row.name).executeTakeFirst();
    if (named) throw new AppError('conflict', `an agent named ${row.name} already exists`);
    throw new PortTakenError(`port ${row.port} was just taken by another agent`);
  }
}

/** The dedicated port asked for is held by another agent of the gateway (a fresh pick may succeed). */
export class PortTakenError extends AppError {
  constructor(message: string) {
    super('conflict', message);
  }
}

async function insertAgent(
  db: Database,
  row: AgentRow,
  gw: GatewayRow,
  audit: { actor: string; labels: Record<string, string> },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom('agents')
      .select(['name', 'port', 'gateway_id'])
      .where((eb) =>
        eb.or([eb('name', '=', row.name), eb.and([eb('gateway_id', '=', gw.id), eb('port', '=', row.port)])]),
      )
      .executeTakeFirst();
    if (clash?.name === row.name) throw new AppError('conflict', `an agent named ${row.name} already exists`);
    if (clash)
      throw new PortTakenError(`port ${row.port} is already the dedicated port of agent ${clash.name}`);
    await trx.insertInto('agents').values(row).execute();
    await bumpConfigVersion(trx, gw.id);
    await appendAuditEvent(trx, {
      type: 'agent.created',
      actor: audit.actor,
      subject: `agent:${row.name}`,
      details: {
        gateway: gw.name,
        port: row.port,
        mode: row.mode,
        labels: audit.labels,
        proxy_auth: row.proxy_auth === 1,
      },
    });
  });
}

export function setAgentStatus(
  db: Database,
  name: string,
  status: 'active' | 'suspended',
  ctx: { actor: string; now: Date },
): Promise<AgentWithGateway> {
  return changeAgent(db, name, { status }, `agent.${status === 'suspended' ? 'suspended' : 'resumed'}`, ctx);
}

export function replaceAgentKey(
  db: Database,
  name: string,
  keyHash: string,
  ctx: { actor: string; now: Date },
): Promise<AgentWithGateway> {
  return changeAgent(db, name, { key_hash: keyHash }, 'agent.key_rotated', ctx);
}

async function changeAgent(
  db: Database,
  name: string,
  set: { status?: string; key_hash?: string },
  event: string,
  ctx: { actor: string; now: Date },
): Promise<AgentWithGateway> {
  return db.transaction().execute(async (trx) => {
    const a = await loadAgent(trx, name);
    await trx
      .updateTable('agents')
      .set({ ...set, updated_at: ctx.now.toISOString() })
      .where('id', '=', a.id)
      .execute();
    await bumpConfigVersion(trx, a.gateway_id);
    await appendAuditEvent(trx, { type: event, actor: ctx.actor, subject: `agent:${name}` });
    return loadAgent(trx, name);
  });
}

/** Removes an agent and its permissions; returns its gateway's id. */
export async function removeAgent(db: Database, name: string, actor: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const a = await loadAgent(trx, name);
    await trx.deleteFrom('agents').where('id', '=', a.id).execute();
    await trx
      .deleteFrom('permissions')
      .where('gateway_id', '=', a.gateway_id)
      .where('agent', '=', name)
      .execute();
    await bumpConfigVersion(trx, a.gateway_id);
    await appendAuditEvent(trx, {
      type: 'agent.removed',
      actor,
      subject: `agent:${name}`,
      details: { port: a.port },
    });
    return a.gateway_id;
  });
}

export interface NewSessionKey {
  id: string;
  keyHash: string;
  createdAt: string;
  expiresAt: string;
}

/** Stores a session key for an active agent; returns the agent. */
export async function addSessionKey(
  db: Database,
  name: string,
  key: NewSessionKey,
  actor: string,
): Promise<AgentWithGateway> {
  return db.transaction().execute(async (trx) => {
    const a = await loadAgent(trx, name);
    if (a.status === 'suspended') throw new AppError('conflict', `agent ${name} is suspended`);
    await trx
      .insertInto('agent_session_keys')
      .values({
        id: key.id,
        agent_id: a.id,
        key_hash: key.keyHash,
        created_by: actor,
        created_at: key.createdAt,
        expires_at: key.expiresAt,
        revoked_at: null,
      })
      .execute();
    await bumpConfigVersion(trx, a.gateway_id);
    await appendAuditEvent(trx, {
      type: 'agent.session_key_issued',
      actor,
      subject: `agent:${name}`,
      details: { id: key.id, expires_at: key.expiresAt },
    });
    return a;
  });
}

/** An agent's session keys that still work (not revoked, not expired), oldest first; never the hash. */
export async function listSessionKeys(
  db: Db,
  name: string,
  now: Date,
): Promise<Array<{ id: string; created_by: string; created_at: string; expires_at: string }>> {
  const a = await loadAgent(db, name);
  return db
    .selectFrom('agent_session_keys')
    .select(['id', 'created_by', 'created_at', 'expires_at'])
    .where('agent_id', '=', a.id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .orderBy('created_at')
    .execute();
}

/** Revokes an agent's active session key; returns the agent's gateway id. */
export async function revokeSessionKey(
  db: Database,
  name: string,
  id: string,
  ctx: { actor: string; now: Date },
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const a = await loadAgent(trx, name);
    const res = await trx
      .updateTable('agent_session_keys')
      .set({ revoked_at: ctx.now.toISOString() })
      .where('id', '=', id)
      .where('agent_id', '=', a.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      throw new AppError('not_found', `no active session key ${id} for agent ${name}`);
    await bumpConfigVersion(trx, a.gateway_id);
    await appendAuditEvent(trx, {
      type: 'agent.session_key_revoked',
      actor: ctx.actor,
      subject: `agent:${name}`,
      details: { id },
    });
    return a.gateway_id;
  });
}
