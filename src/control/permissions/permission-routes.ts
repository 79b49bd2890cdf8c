// Permissions: (agent, connector, action pattern) → allow | deny | require_approval. The deciding
// itself is in src/decide; this is storage and the API around it.
import type { FastifyInstance } from 'fastify';
import { getConnectorType } from '../../connectors/registry.js';
import { isValidActionPattern } from '../../decide/patterns.js';
import { PERMISSION_PRESETS, type PermissionPreset, presetPermissions } from '../../decide/permissions.js';
import type { Verdict } from '../../decide/types.js';
import { AppError } from '../../errors/codes.js';
import type { Deleted } from '../../wire/agents.js';
import type { PermissionAnswer, PermissionList, PermissionView } from '../../wire/permissions.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import { type ConfigRouteDeps, NAME_PATTERN } from '../route-deps.js';
import {
  listPermissions,
  type PermissionRow,
  removePermission,
  replacePermissions,
  setPermission,
} from './permission-store.js';

function view(p: PermissionRow): PermissionView {
  return {
    id: p.id,
    agent: p.agent,
    connector: p.connector,
    action: p.action_pattern,
    decision: p.decision as Verdict,
    created_at: p.created_at,
  };
}

export function registerPermissionRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  app.post(
    '/permissions',
    {
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
      const { row, gatewayId } = await setPermission(db, b, { actor, now: deps.now() });
      deps.changes.notify(gatewayId);
      return reply.status(201).send({ permission: view(row) } satisfies PermissionAnswer);
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
      return { permissions: (await listPermissions(db, agent)).map(view) } satisfies PermissionList;
    },
  );

  app.delete(
    '/permissions/:id',
    {
      schema: {
        summary: 'Remove a permission',
        tags: ['permissions'],
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      const actor = actorOf(principalOf(req));
      const gatewayId = await removePermission(db, id, actor);
      deps.changes.notify(gatewayId);
      return { deleted: true } satisfies Deleted;
    },
  );

  app.post(
    '/permissions/preset',
    {
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
      const { rows, gatewayId } = await replacePermissions(
        db,
        b,
        (type) => presetPermissions(b.preset, b.agent, b.connector, type, getConnectorType(type)?.catalogue),
        { actor, now: deps.now() },
      );
      deps.changes.notify(gatewayId);
      return { permissions: rows.map(view) } satisfies PermissionList;
    },
  );
}
