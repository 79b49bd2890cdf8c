// Agents: identity (a long-lived key shown once, stored hashed), a stable dedicated port, mode and
// labels, and short-lived session keys for `tameflare run`.
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors/codes.js';
import type {
  AgentAnswer,
  AgentKeyAnswer,
  AgentList,
  AgentView,
  Deleted,
  Revoked,
  SessionKeyAnswer,
  SessionKeyList,
} from '../../wire/agents.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import { generateSecretToken, hashToken, randomId } from '../auth/secret-tokens.js';
import { gatewayPlaces } from '../gateways/gateway-places.js';
import { findGateway, type GatewayRow } from '../gateways/gateway-store.js';
import { type ConfigRouteDeps, NAME_PATTERN } from '../route-deps.js';
import { PORT_PROBE_COUNT, pickAgentPort, rangeText } from './agent-ports.js';
import {
  type AgentRow,
  addSessionKey,
  createAgent,
  listAgents,
  listSessionKeys,
  loadAgent,
  PortTakenError,
  portsInUse,
  removeAgent,
  replaceAgentKey,
  revokeSessionKey,
  setAgentStatus,
} from './agent-store.js';
import { agentView } from './agent-view.js';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: NAME_PATTERN } },
  required: ['name'],
} as const;

export function registerAgentRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  /** Views of agents, each with its own gateway's address and port report. */
  async function viewer(): Promise<(a: AgentRow & { gateway_name: string }) => AgentView> {
    const placeOf = await gatewayPlaces(db, deps.link);
    return (a) => agentView(a, placeOf(a.gateway_name));
  }

  /**
   * A port from the gateway's own range (asked which its host can bind), or null when the gateway
   * has not registered a range yet: the agent then gets one when it does.
   */
  async function allocatePort(gw: GatewayRow, skip = 0): Promise<number | null> {
    const { range } = (await gatewayPlaces(db, deps.link))(gw.name);
    if (!range) return null;
    const probe = await deps.link.to(gw.name).availablePorts(range, PORT_PROBE_COUNT);
    const used = await portsInUse(db, gw.id);
    let port = pickAgentPort(used, range, probe);
    // After a clash, adds running at the same moment would all pick the same lowest port again:
    // skipping a random number of free ones spreads them out.
    for (let i = 0; i < skip && port !== undefined; i++) {
      used.add(port);
      const next = pickAgentPort(used, range, probe);
      if (next === undefined) break;
      port = next;
    }
    if (port === undefined) {
      throw new AppError(
        'conflict',
        `gateway ${gw.name}'s agent port range ${rangeText(range)} has no free port: widen it on the gateway (--agent-port-end / TAMEFLARE_AGENT_PORT_END), remove an agent, or give --port`,
      );
    }
    return port;
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
      const now = deps.now().toISOString();
      const row: AgentRow = {
        id: randomId(),
        gateway_id: gw.id,
        name: body.name,
        port: body.port ?? (await allocatePort(gw)),
        mode: body.mode ?? 'enforce',
        labels: JSON.stringify(body.labels ?? {}),
        proxy_auth: body.proxy_auth === false ? 0 : 1,
        status: 'active',
        key_hash: hashToken(key),
        created_at: now,
        updated_at: now,
      };
      // A port picked here can be taken meanwhile by a concurrent add (on another control-plane
      // process too): pick again, a few times. A port the caller named is theirs to change.
      for (let attempt = 1; ; attempt++) {
        try {
          await createAgent(db, row, gw, { actor, labels: body.labels ?? {} });
          break;
        } catch (err) {
          if (!(err instanceof PortTakenError) || body.port !== undefined || attempt === 10) throw err;
          row.port = await allocatePort(gw, randomInt(0, 2 * attempt + 1));
        }
      }
      deps.changes.notify(gw.id);
      const view = await viewer();
      return reply
        .status(201)
        .send({ agent: view({ ...row, gateway_name: gw.name }), key } satisfies AgentKeyAnswer);
    },
  );

  app.get(
    '/agents',
    { schema: { summary: 'List agents', tags: ['agents'] } },
    async (): Promise<AgentList> => {
      const rows = await listAgents(db);
      const view = await viewer();
      return { agents: rows.map(view) };
    },
  );

  app.get(
    '/agents/:name',
    { schema: { summary: 'Show an agent', tags: ['agents'], params: nameParams } },
    async (req): Promise<AgentAnswer> => {
      const row = await loadAgent(db, (req.params as { name: string }).name);
      return { agent: (await viewer())(row) };
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
        return { agent: (await viewer())(row) };
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
      return { agent: (await viewer())(row), key } satisfies AgentKeyAnswer;
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
        agent: (await viewer())(row),
      } satisfies SessionKeyAnswer);
    },
  );

  app.get(
    '/agents/:name/session-keys',
    {
      schema: {
        summary: "List an agent's session keys that still work",
        tags: ['agents'],
        params: nameParams,
      },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      return { session_keys: await listSessionKeys(db, name, deps.now()) } satisfies SessionKeyList;
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
}
