// What gateways registered (address, CA, port range) and last reported (open ports, port errors,
// configuration version, outbox backlog), and the dedicated ports assigned from their ranges. A
// report only updates the row; the ledger gets an event when a gateway first registers or changes
// its address or its CA, not every few seconds.
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { GatewayRegistration } from '../../sync/gateway-registration.js';
import { type PortProbe, type PortRange, pickAgentPort } from '../agents/agent-ports.js';
import type { Db } from '../db.js';
import { bumpConfigVersion, ensureGateway, type GatewayRow } from './gateway-store.js';

type GatewayTable = LocalDatabase['gateways'];

/** The `report` column: the last report's figures. */
export interface StoredReport {
  open: number[];
  errors: Record<string, string>;
  config_version: number;
  outbox_backlog: number;
  started_at: string;
  retention?: GatewayRegistration['retention'];
}

export interface RegistryRow extends GatewayTable {
  agents: number;
  connectors: number;
}

/** Every gateway's registered address (null: not registered yet). */
export async function registeredUrls(db: Db): Promise<Map<string, string | null>> {
  const rows = await db.selectFrom('gateways').select(['name', 'url']).execute();
  return new Map(rows.map((r) => [r.name, r.url]));
}

export async function listRegistry(db: Db): Promise<RegistryRow[]> {
  return db
    .selectFrom('gateways')
    .selectAll('gateways')
    .select((eb) => [
      eb
        .selectFrom('agents')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('agents.gateway_id', '=', 'gateways.id')
        .as('agents'),
      eb
        .selectFrom('connectors')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('connectors.gateway_id', '=', 'gateways.id')
        .as('connectors'),
    ])
    .orderBy('name')
    .execute() as Promise<RegistryRow[]>;
}

export async function loadRegistry(db: Db, name: string): Promise<RegistryRow> {
  const row = (await listRegistry(db)).find((r) => r.name === name);
  if (!row) throw new AppError('not_found', `no gateway named ${name}`);
  return row;
}

export function parseReport(row: Pick<GatewayTable, 'report'>): StoredReport | undefined {
  if (!row.report) return undefined;
  try {
    return JSON.parse(row.report) as StoredReport;
  } catch {
    return undefined;
  }
}

/**
 * Records a registration. Returns the gateway and what changed; the caller decides about a
 * conflicting CA before calling (see ConnectedGateways).
 */
export function recordRegistration(
  db: Kysely<LocalDatabase>,
  reg: GatewayRegistration,
  now: Date,
): Promise<GatewayRow> {
  return db.transaction().execute((trx) => record(trx, reg, now));
}

async function record(db: Db, reg: GatewayRegistration, now: Date): Promise<GatewayRow> {
  const gw = await ensureGateway(db, reg.gateway);
  const before = await db
    .selectFrom('gateways')
    .select(['url', 'ca_fingerprint', 'registered_at'])
    .where('id', '=', gw.id)
    .executeTakeFirstOrThrow();
  const at = now.toISOString();
  const report: StoredReport = {
    open: reg.agent_ports.open,
    errors: reg.agent_ports.errors,
    config_version: reg.config_version,
    outbox_backlog: reg.outbox_backlog,
    started_at: reg.started_at,
    retention: reg.retention,
  };
  await db
    .updateTable('gateways')
    .set({
      url: reg.public_url,
      ca_pem: reg.ca_pem,
      ca_fingerprint: reg.ca_fingerprint,
      agent_port_start: reg.agent_ports.start,
      agent_port_end: reg.agent_ports.end,
      version: reg.version,
      report: JSON.stringify(report),
      last_seen_at: at,
      registered_at: before.registered_at ?? at,
    })
    .where('id', '=', gw.id)
    .execute();
  const actor = `gateway:${reg.gateway}`;
  const subject = `gateway:${reg.gateway}`;
  if (!before.registered_at) {
    await appendAuditEvent(db, {
      type: 'gateway.registered',
      actor,
      subject,
      details: {
        public_url: reg.public_url,
        ca_fingerprint: reg.ca_fingerprint,
        agent_ports: `${reg.agent_ports.start}-${reg.agent_ports.end}`,
        version: reg.version,
      },
    });
  } else {
    if (before.ca_fingerprint !== reg.ca_fingerprint) {
      await appendAuditEvent(db, {
        type: 'gateway.ca_changed',
        actor,
        subject,
        details: { from: before.ca_fingerprint, to: reg.ca_fingerprint },
      });
    }
    if (before.url !== reg.public_url) {
      await appendAuditEvent(db, {
        type: 'gateway.address_changed',
        actor,
        subject,
        details: { from: before.url, to: reg.public_url },
      });
    }
  }
  return gw;
}

/** Agents of the gateway still waiting for a dedicated port, oldest first. */
export async function agentsWithoutPort(db: Db, gatewayId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('agents')
    .select('name')
    .where('gateway_id', '=', gatewayId)
    .where('port', 'is', null)
    .orderBy('created_at')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

export async function gatewayIdOf(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('gateways').select('id').where('name', '=', name).executeTakeFirst();
  return row?.id;
}

export async function configVersionOf(db: Db, gatewayId: string): Promise<number> {
  const row = await db
    .selectFrom('gateways')
    .select('config_version')
    .where('id', '=', gatewayId)
    .executeTakeFirstOrThrow();
  return row.config_version;
}

/**
 * Gives waiting agents ports from the range, oldest first, in one transaction with their events and
 * the version bump; returns how many got one (the others wait: the range is full).
 */
export async function assignWaitingPorts(
  db: Kysely<LocalDatabase>,
  gateway: { id: string; name: string },
  range: PortRange,
  probe: PortProbe | undefined,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('agents').select('port').where('gateway_id', '=', gateway.id).execute();
    const used = new Set(rows.map((r) => r.port).filter((p): p is number => p !== null));
    let assigned = 0;
    for (const agent of await agentsWithoutPort(trx, gateway.id)) {
      const port = pickAgentPort(used, range, probe);
      if (port === undefined) break;
      used.add(port);
      await trx
        .updateTable('agents')
        .set({ port })
        .where('gateway_id', '=', gateway.id)
        .where('name', '=', agent)
        .execute();
      await appendAuditEvent(trx, {
        type: 'agent.port_assigned',
        actor: `gateway:${gateway.name}`,
        subject: `agent:${agent}`,
        details: { gateway: gateway.name, port },
      });
      assigned++;
    }
    if (assigned > 0) await bumpConfigVersion(trx, gateway.id);
    return assigned;
  });
}

/**
 * Removes a gateway. With agents or connectors it refuses unless `force`, which removes them (and
 * their permissions and session keys) with it.
 */
export async function removeGateway(
  db: Kysely<LocalDatabase>,
  row: RegistryRow,
  opts: { force: boolean; actor: string },
): Promise<void> {
  const agents = Number(row.agents);
  const connectors = Number(row.connectors);
  if (!opts.force && (agents > 0 || connectors > 0)) {
    throw new AppError(
      'conflict',
      `gateway ${row.name} still has ${agents} agent(s) and ${connectors} connector(s): remove them first, or pass --force to remove them with it`,
    );
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('permissions').where('gateway_id', '=', row.id).execute();
    await trx.deleteFrom('connectors').where('gateway_id', '=', row.id).execute();
    await trx.deleteFrom('agents').where('gateway_id', '=', row.id).execute();
    await trx.deleteFrom('gateways').where('id', '=', row.id).execute();
    await appendAuditEvent(trx, {
      type: 'gateway.removed',
      actor: opts.actor,
      subject: `gateway:${row.name}`,
      details: { agents, connectors, forced: opts.force },
    });
  });
}
