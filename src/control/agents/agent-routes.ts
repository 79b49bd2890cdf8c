// Agents: identity (a long-lived key shown once, stored hashed), a stable dedicated port, mode and
// labels, and short-lived session keys for `tameflare run`.
import type { FastifyInstance } from 'fastify';
import type {
  AgentAnswer,
  AgentKeyAnswer,
  AgentList,
  AgentView,
  Deleted,
  GatewayInfo,
  Revoked,
  SessionKeyAnswer,
} from '../../wire/agents.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import { generateSecretToken, hashToken, randomId } from '../auth/secret-tokens.js';
import { findGateway } from '../gateways/gateway-store.js';
import { type ConfigRouteDeps, NAME_PATTERN } from '../route-deps.js';
import { PORT_PROBE_COUNT, pickAgentPort } from './agent-ports.js';
import {
  type AgentRow,
  addSessionKey,
  createAgent,
  listAgents,
  loadAgent,
  portsInUse,
  removeAgent,
  replaceAgentKey,
  revokeSessionKey,
  setAgentStatus,
} from './agent-store.js';

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

  function view(a: AgentRow, gatewayName: string): AgentView {
    const addr = proxyAddress();
    const host = addr ? (addr.host.includes(':') ? `[${addr.host}]` : addr.host) : undefined;
    return {
      name: a.name,
      gateway: gatewayName,
      port: a.port,
      mode: a.mode as AgentView['mode'],
      labels: JSON.parse(a.labels) as Record<string, string>,
      proxy_auth: a.proxy_auth === 1,
      status: a.status as AgentView['status'],
      created_at: a.created_at,
      updated_at: a.updated_at,
      proxy_url: addr ? `http://${encodeURIComponent(a.name)}@${host}:${addr.port}` : null,
      port_url: addr && a.port ? `http://${host}:${a.port}` : null,
    };
  }

  async function allocatePort(gatewayId: string): Promise<number> {
    // Ask the gateway host which ports it can bind (another program may hold one).
    const available = await deps.link.availablePorts(deps.config.agentPortStart, PORT_PROBE_COUNT);
    return pickAgentPort(await portsInUse(db, gatewayId), deps.config.agentPortStart, available);
  }

  app.post(
    '/agents',
    {
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
      const port = body.port ?? (await allocatePort(gw.id));
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
      await createAgent(db, row, gw, { actor, labels: body.labels ?? {} });
      deps.changes.notify(gw.id);
      return reply.status(201).send({ agent: view(row, gw.name), key } satisfies AgentKeyAnswer);
    },
  );

  app.get(
    '/agents',
    { schema: { summary: 'List agents', tags: ['agents'] } },
    async (): Promise<AgentList> => {
      const rows = await listAgents(db);
      return { agents: rows.map((r) => view(r, r.gateway_name)) };
    },
  );

  app.get(
    '/agents/:name',
    { schema: { summary: 'Show an agent', tags: ['agents'], params: nameParams } },
    async (req): Promise<AgentAnswer> => {
      const row = await loadAgent(db, (req.params as { name: string }).name);
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
        schema: { summary: `${verb} an agent`, tags: ['agents'], params: nameParams },
      },
      async (req): Promise<AgentAnswer> => {
        const name = (req.params as { name: string }).name;
        const actor = actorOf(principalOf(req));
        const row = await setAgentStatus(db, name, status, { actor, now: deps.now() });
        deps.changes.notify(row.gateway_id);
        return { agent: view(row, row.gateway_name) };
      },
    );
  }

  app.delete(
    '/agents/:name',
    {
      schema: { summary: 'Remove an agent', tags: ['agents'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const actor = actorOf(principalOf(req));
      const gatewayId = await removeAgent(db, name, actor);
      deps.changes.notify(gatewayId);
      return { deleted: true } satisfies Deleted;
    },
  );

  app.post(
    '/agents/:name/rotate-key',
    {
      schema: { summary: "Replace an agent's key", tags: ['agents'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const actor = actorOf(principalOf(req));
      const key = generateSecretToken('tf_agent_');
      const row = await replaceAgentKey(db, name, hashToken(key), { actor, now: deps.now() });
      deps.changes.notify(row.gateway_id);
      return { agent: view(row, row.gateway_name), key } satisfies AgentKeyAnswer;
    },
  );

  app.post(
    '/agents/:name/session-keys',
    {
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
      const row = await addSessionKey(
        db,
        name,
        { id, keyHash: hashToken(key), createdAt: now.toISOString(), expiresAt },
        actorOf(principal),
      );
      deps.changes.notify(row.gateway_id);
      return reply.status(201).send({
        id,
        key,
        expires_at: expiresAt,
        agent: view(row, row.gateway_name),
      } satisfies SessionKeyAnswer);
    },
  );

  app.delete(
    '/agents/:name/session-keys/:id',
    {
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
      const gatewayId = await revokeSessionKey(db, name, id, { actor, now: deps.now() });
      deps.changes.notify(gatewayId);
      return { revoked: true } satisfies Revoked;
    },
  );

  app.get(
    '/gateway-info',
    { schema: { summary: 'Where agents point their proxy settings', tags: ['agents'] } },
    async (): Promise<GatewayInfo> => {
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
