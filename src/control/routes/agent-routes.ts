// Agents: identity (a long-lived key shown once, stored hashed), a stable dedicated port, mode and
// labels, and short-lived session keys for `tameflare run`.
import type { FastifyInstance } from 'fastify';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { actorOf } from '../accounts/accounts.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { generateSecretToken, hashToken, randomId } from '../auth/secret-tokens.js';
import { PORT_PROBE_COUNT, pickAgentPort, portsInUse } from '../config/agent-ports.js';
import { bumpConfigVersion, type Db, findGateway } from '../config/gateways.js';
import { type ConfigRouteDeps, NAME_PATTERN } from './route-deps.js';

type AgentRow = LocalDatabase['agents'];

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: NAME_PATTERN } },
  required: ['name'],
} as const;

export function registerAgentRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  function proxyAddress(): { host: string; port: number } | undefined {
    const url = deps.link.url();
    if (!url) return undefined;
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  }

  function view(a: AgentRow, gatewayName: string) {
    const addr = proxyAddress();
    const host = addr ? (addr.host.includes(':') ? `[${addr.host}]` : addr.host) : undefined;
    return {
      name: a.name,
      gateway: gatewayName,
      port: a.port,
      mode: a.mode,
      labels: JSON.parse(a.labels) as Record<string, string>,
      proxy_auth: a.proxy_auth === 1,
      status: a.status,
      created_at: a.created_at,
      updated_at: a.updated_at,
      proxy_url: addr ? `http://${encodeURIComponent(a.name)}@${host}:${addr.port}` : null,
      port_url: addr && a.port ? `http://${host}:${a.port}` : null,
    };
  }

  async function load(tx: Db, name: string) {
    const row = await tx
      .selectFrom('agents')
      .innerJoin('gateways', 'gateways.id', 'agents.gateway_id')
      .selectAll('agents')
      .select('gateways.name as gateway_name')
      .where('agents.name', '=', name)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no agent named ${name}`);
    return row;
  }

  async function allocatePort(tx: Db, gatewayId: string): Promise<number> {
    // Ask the gateway host which ports it can bind (another program may hold one).
    const available = await deps.link.availablePorts(deps.config.agentPortStart, PORT_PROBE_COUNT);
    return pickAgentPort(await portsInUse(tx, gatewayId), deps.config.agentPortStart, available);
  }

  app.post(
    '/agents',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Add an agent (its key is returned once)',
        tags: ['agents'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', pattern: NAME_PATTERN },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            mode: { type: 'string', enum: ['enforce', 'monitor'] },
            labels: {
              type: 'object',
              additionalProperties: { type: 'string', maxLength: 200 },
              propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,63}$' },
            },
            proxy_auth: { type: 'boolean' },
            gateway: { type: 'string', pattern: NAME_PATTERN },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as {
        name: string;
        port?: number;
        mode?: string;
        labels?: Record<string, string>;
        proxy_auth?: boolean;
        gateway?: string;
      };
      const actor = actorOf(principalOf(req));
      const key = generateSecretToken('tf_agent_');
      const gw = await findGateway(db, body.gateway, deps.config.gatewayName);
      const port = body.port ?? (await allocatePort(db, gw.id));
      const now = deps.now().toISOString();
      const row: AgentRow = {
        id: randomId(),
        gateway_id: gw.id,
        name: body.name,
        port,
        mode: body.mode ?? 'enforce',
        labels: JSON.stringify(body.labels ?? {}),
        proxy_auth: body.proxy_auth === false ? 0 : 1,
        status: 'active',
        key_hash: hashToken(key),
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (trx) => {
        const clash = await trx
          .selectFrom('agents')
          .select(['name', 'port', 'gateway_id'])
          .where((eb) =>
            eb.or([
              eb('name', '=', body.name),
              eb.and([eb('gateway_id', '=', gw.id), eb('port', '=', port)]),
            ]),
          )
          .executeTakeFirst();
        if (clash?.name === body.name)
          throw new AppError('conflict', `an agent named ${body.name} already exists`);
        if (clash)
          throw new AppError('conflict', `port ${port} is already the dedicated port of agent ${clash.name}`);
        await trx.insertInto('agents').values(row).execute();
        await bumpConfigVersion(trx, gw.id);
        await appendAuditEvent(trx, {
          type: 'agent.created',
          actor,
          subject: `agent:${body.name}`,
          details: {
            gateway: gw.name,
            port,
            mode: row.mode,
            labels: body.labels ?? {},
            proxy_auth: row.proxy_auth === 1,
          },
        });
      });
      deps.changes.notify(gw.id);
      return reply.status(201).send({ agent: view(row, gw.name), key });
    },
  );

  app.get('/agents', { schema: { summary: 'List agents', tags: ['agents'] } }, async () => {
    const rows = await db
      .selectFrom('agents')
      .innerJoin('gateways', 'gateways.id', 'agents.gateway_id')
      .selectAll('agents')
      .select('gateways.name as gateway_name')
      .orderBy('agents.name')
      .execute();
    return { agents: rows.map((r) => view(r, r.gateway_name)) };
  });

  app.get(
    '/agents/:name',
    { schema: { summary: 'Show an agent', tags: ['agents'], params: nameParams } },
    async (req) => {
      const row = await load(db, (req.params as { name: string }).name);
      return { agent: view(row, row.gateway_name) };
    },
  );

  for (const [verb, status] of [
    ['suspend', 'suspended'],
    ['resume', 'active'],
  ] as const) {
    app.post(
      `/agents/:name/${verb}`,
      {
        preHandler: requireRole('admin'),
        schema: { summary: `${verb} an agent`, tags: ['agents'], params: nameParams },
      },
      async (req) => {
        const name = (req.params as { name: string }).name;
        const actor = actorOf(principalOf(req));
        const row = await db.transaction().execute(async (trx) => {
          const a = await load(trx, name);
          await trx
            .updateTable('agents')
            .set({ status, updated_at: deps.now().toISOString() })
            .where('id', '=', a.id)
            .execute();
          await bumpConfigVersion(trx, a.gateway_id);
          await appendAuditEvent(trx, {
            type: `agent.${verb === 'suspend' ? 'suspended' : 'resumed'}`,
            actor,
            subject: `agent:${name}`,
          });
          return load(trx, name);
        });
        deps.changes.notify(row.gateway_id);
        return { agent: view(row, row.gateway_name) };
      },
    );
  }

  app.delete(
    '/agents/:name',
    {
      preHandler: requireRole('admin'),
      schema: { summary: 'Remove an agent', tags: ['agents'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const actor = actorOf(principalOf(req));
      const gatewayId = await db.transaction().execute(async (trx) => {
        const a = await load(trx, name);
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
      deps.changes.notify(gatewayId);
      return { deleted: true };
    },
  );

  app.post(
    '/agents/:name/rotate-key',
    {
      preHandler: requireRole('admin'),
      schema: { summary: "Replace an agent's key", tags: ['agents'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const actor = actorOf(principalOf(req));
      const key = generateSecretToken('tf_agent_');
      const row = await db.transaction().execute(async (trx) => {
        const a = await load(trx, name);
        await trx
          .updateTable('agents')
          .set({ key_hash: hashToken(key), updated_at: deps.now().toISOString() })
          .where('id', '=', a.id)
          .execute();
        await bumpConfigVersion(trx, a.gateway_id);
        await appendAuditEvent(trx, { type: 'agent.key_rotated', actor, subject: `agent:${name}` });
        return load(trx, name);
      });
      deps.changes.notify(row.gateway_id);
      return { agent: view(row, row.gateway_name), key };
    },
  );

  app.post(
    '/agents/:name/session-keys',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Issue a short-lived session key for an agent',
        tags: ['agents'],
        params: nameParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { ttl_seconds: { type: 'integer', minimum: 60, maximum: 86_400 } },
        },
      },
    },
    async (req, reply) => {
      const name = (req.params as { name: string }).name;
      const ttl = (req.body as { ttl_seconds?: number } | null)?.ttl_seconds ?? 43_200;
      const principal = principalOf(req);
      const key = generateSecretToken('tf_sess_');
      const id = randomId();
      const now = deps.now();
      const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
      const row = await db.transaction().execute(async (trx) => {
        const a = await load(trx, name);
        if (a.status === 'suspended') throw new AppError('conflict', `agent ${name} is suspended`);
        await trx
          .insertInto('agent_session_keys')
          .values({
            id,
            agent_id: a.id,
            key_hash: hashToken(key),
            created_by: actorOf(principal),
            created_at: now.toISOString(),
            expires_at: expiresAt,
            revoked_at: null,
          })
          .execute();
        await bumpConfigVersion(trx, a.gateway_id);
        await appendAuditEvent(trx, {
          type: 'agent.session_key_issued',
          actor: actorOf(principal),
          subject: `agent:${name}`,
          details: { id, expires_at: expiresAt },
        });
        return a;
      });
      deps.changes.notify(row.gateway_id);
      return reply.status(201).send({ id, key, expires_at: expiresAt, agent: view(row, row.gateway_name) });
    },
  );

  app.delete(
    '/agents/:name/session-keys/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Revoke a session key',
        tags: ['agents'],
        params: {
          type: 'object',
          properties: {
            name: { type: 'string', pattern: NAME_PATTERN },
            id: { type: 'string', maxLength: 64 },
          },
          required: ['name', 'id'],
        },
      },
    },
    async (req) => {
      const { name, id } = req.params as { name: string; id: string };
      const actor = actorOf(principalOf(req));
      const gatewayId = await db.transaction().execute(async (trx) => {
        const a = await load(trx, name);
        const res = await trx
          .updateTable('agent_session_keys')
          .set({ revoked_at: deps.now().toISOString() })
          .where('id', '=', id)
          .where('agent_id', '=', a.id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0)
          throw new AppError('not_found', `no active session key ${id} for agent ${name}`);
        await bumpConfigVersion(trx, a.gateway_id);
        await appendAuditEvent(trx, {
          type: 'agent.session_key_revoked',
          actor,
          subject: `agent:${name}`,
          details: { id },
        });
        return a.gateway_id;
      });
      deps.changes.notify(gatewayId);
      return { revoked: true };
    },
  );

  app.get(
    '/gateway-info',
    { schema: { summary: 'Where agents point their proxy settings', tags: ['agents'] } },
    async () => {
      const addr = proxyAddress();
      return {
        gateway: deps.config.gatewayName,
        url: deps.link.url() ?? null,
        proxy_host: addr?.host ?? null,
        proxy_port: addr?.port ?? null,
      };
    },
  );
}
