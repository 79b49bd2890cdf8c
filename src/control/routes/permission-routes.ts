// Permissions: (agent, connector, action pattern) → allow | deny | require_approval. The deciding
// itself is in src/decide; this is storage and the API around it.
import type { FastifyInstance } from 'fastify';
import type { Selectable, Transaction } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { getConnectorType } from '../../connectors/registry.js';
import { isValidActionPattern } from '../../decide/patterns.js';
import { PERMISSION_PRESETS, type PermissionPreset, presetPermissions } from '../../decide/permissions.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { actorOf } from '../accounts/accounts.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { bumpConfigVersion } from '../config/gateways.js';
import { type ConfigRouteDeps, NAME_PATTERN } from './route-deps.js';

type PermissionRow = Selectable<LocalDatabase['permissions']>;

function view(p: PermissionRow) {
  return {
    id: p.id,
    agent: p.agent,
    connector: p.connector,
    action: p.action_pattern,
    decision: p.decision,
    created_at: p.created_at,
  };
}

export function registerPermissionRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  /** Both must exist on the same gateway; returns that gateway and the connector's type. */
  async function target(trx: Transaction<LocalDatabase>, agent: string, connector: string) {
    const a = await trx
      .selectFrom('agents')
      .select(['gateway_id'])
      .where('name', '=', agent)
      .executeTakeFirst();
    if (!a) throw new AppError('not_found', `no agent named ${agent}`);
    const c = await trx
      .selectFrom('connectors')
      .select(['type'])
      .where('name', '=', connector)
      .where('gateway_id', '=', a.gateway_id)
      .executeTakeFirst();
    if (!c) throw new AppError('not_found', `no connector named ${connector} on the agent's gateway`);
    return { gatewayId: a.gateway_id, type: c.type };
  }

  async function upsert(
    trx: Transaction<LocalDatabase>,
    gatewayId: string,
    agent: string,
    connector: string,
    action: string,
    decision: string,
  ) {
    await trx
      .insertInto('permissions')
      .values({
        gateway_id: gatewayId,
        agent,
        connector,
        action_pattern: action,
        decision,
        created_at: deps.now().toISOString(),
      })
      .onConflict((oc) =>
        oc.columns(['gateway_id', 'agent', 'connector', 'action_pattern']).doUpdateSet({ decision }),
      )
      .execute();
    return trx
      .selectFrom('permissions')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where('agent', '=', agent)
      .where('connector', '=', connector)
      .where('action_pattern', '=', action)
      .executeTakeFirstOrThrow();
  }

  app.post(
    '/permissions',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Set a permission (replaces the decision of an identical pattern)',
        tags: ['permissions'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agent', 'connector', 'action', 'decision'],
          properties: {
            agent: { type: 'string', pattern: NAME_PATTERN },
            connector: { type: 'string', pattern: NAME_PATTERN },
            action: { type: 'string', minLength: 1, maxLength: 200 },
            decision: { type: 'string', enum: ['allow', 'deny', 'require_approval'] },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { agent: string; connector: string; action: string; decision: string };
      if (!isValidActionPattern(b.action)) {
        throw new AppError(
          'validation_failed',
          `not an action pattern: ${b.action} (e.g. github.pr.*, *.get, *)`,
        );
      }
      const actor = actorOf(principalOf(req));
      const { row, gatewayId } = await db.transaction().execute(async (trx) => {
        const t = await target(trx, b.agent, b.connector);
        const row = await upsert(trx, t.gatewayId, b.agent, b.connector, b.action, b.decision);
        await bumpConfigVersion(trx, t.gatewayId);
        await appendAuditEvent(trx, {
          type: 'permission.set',
          actor,
          subject: `agent:${b.agent}`,
          details: { id: row.id, connector: b.connector, action: b.action, decision: b.decision },
        });
        return { row, gatewayId: t.gatewayId };
      });
      deps.changes.notify(gatewayId);
      return reply.status(201).send({ permission: view(row) });
    },
  );

  app.get(
    '/permissions',
    {
      schema: {
        summary: 'List permissions',
        tags: ['permissions'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { agent: { type: 'string', pattern: NAME_PATTERN } },
        },
      },
    },
    async (req) => {
      const { agent } = req.query as { agent?: string };
      let q = db.selectFrom('permissions').selectAll().orderBy('agent').orderBy('connector').orderBy('id');
      if (agent) q = q.where('agent', '=', agent);
      return { permissions: (await q.execute()).map(view) };
    },
  );

  app.delete(
    '/permissions/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Remove a permission',
        tags: ['permissions'],
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      const actor = actorOf(principalOf(req));
      const gatewayId = await db.transaction().execute(async (trx) => {
        const p = await trx.selectFrom('permissions').selectAll().where('id', '=', id).executeTakeFirst();
        if (!p) throw new AppError('not_found', `no permission #${id}`);
        await trx.deleteFrom('permissions').where('id', '=', id).execute();
        await bumpConfigVersion(trx, p.gateway_id);
        await appendAuditEvent(trx, {
          type: 'permission.removed',
          actor,
          subject: `agent:${p.agent}`,
          details: { id, connector: p.connector, action: p.action_pattern, decision: p.decision },
        });
        return p.gateway_id;
      });
      deps.changes.notify(gatewayId);
      return { deleted: true };
    },
  );

  app.post(
    '/permissions/preset',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Apply a preset: allow-all, read-only or require-approval',
        tags: ['permissions'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agent', 'connector', 'preset'],
          properties: {
            agent: { type: 'string', pattern: NAME_PATTERN },
            connector: { type: 'string', pattern: NAME_PATTERN },
            preset: { type: 'string', enum: [...PERMISSION_PRESETS] },
          },
        },
      },
    },
    async (req) => {
      const b = req.body as { agent: string; connector: string; preset: PermissionPreset };
      const actor = actorOf(principalOf(req));
      const { rows, gatewayId } = await db.transaction().execute(async (trx) => {
        const t = await target(trx, b.agent, b.connector);
        // A preset replaces what the agent had on this connector, so the result is exactly the preset.
        await trx
          .deleteFrom('permissions')
          .where('gateway_id', '=', t.gatewayId)
          .where('agent', '=', b.agent)
          .where('connector', '=', b.connector)
          .execute();
        const rules = presetPermissions(
          b.preset,
          b.agent,
          b.connector,
          t.type,
          getConnectorType(t.type)?.catalogue,
        );
        const rows: PermissionRow[] = [];
        for (const r of rules)
          rows.push(await upsert(trx, t.gatewayId, b.agent, b.connector, r.action, r.decision));
        await bumpConfigVersion(trx, t.gatewayId);
        await appendAuditEvent(trx, {
          type: 'permission.preset_applied',
          actor,
          subject: `agent:${b.agent}`,
          details: { connector: b.connector, preset: b.preset, rules: rows.length },
        });
        return { rows, gatewayId: t.gatewayId };
      });
      deps.changes.notify(gatewayId);
      return { permissions: rows.map(view) };
    },
  );
}
