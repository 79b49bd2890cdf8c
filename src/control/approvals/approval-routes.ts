// /v1/approvals: list, show, approve, deny, and the grants approvals were widened into. Who may call
// each route is in ../route-roles.ts; who may decide a given approval (the rule's approver roles, at
// least member) is checked against the approval itself, in the store's transaction.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { APPROVAL_STATUSES, MAX_GRANT_MINUTES } from '../../approvals/approval-rules.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { DecideApprovalAnswer, DecideApprovalBody } from '../../wire/approvals.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import type { ApprovalService } from './approval-service.js';
import { getApproval, listApprovals, listGrants, revokeGrant } from './approval-store.js';
import { toApprovalWire, toGrantWire } from './approval-wire.js';

export interface ApprovalRouteDeps {
  db: Kysely<LocalDatabase>;
  approvals: ApprovalService;
  now: () => Date;
}

const idParams = (pattern: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern } },
});
const APPROVAL_ID = '^apv_[0-9a-f]{20}$';
const GRANT_ID = '^grt_[0-9a-f]{20}$';
const NOTE = { type: 'string', maxLength: 1000 };

export function registerApprovalRoutes(app: FastifyInstance, deps: ApprovalRouteDeps): void {
  const { db } = deps;

  app.get(
    '/approvals',
    {
      schema: {
        summary: 'List approvals, newest first',
        tags: ['approvals'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...APPROVAL_STATUSES] },
            agent: { type: 'string', maxLength: 200 },
            action: { type: 'string', maxLength: 300 },
            gateway: { type: 'string', maxLength: 63 },
            before: { type: 'string', pattern: APPROVAL_ID },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as {
        status?: string;
        agent?: string;
        action?: string;
        gateway?: string;
        before?: string;
        limit: number;
      };
      return { approvals: (await listApprovals(db, q)).map(toApprovalWire) };
    },
  );

  app.get(
    '/approvals/grants',
    {
      schema: {
        summary: 'List grants ("approve for N minutes"); active ones only unless ?all=true',
        tags: ['approvals'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { all: { type: 'boolean', default: false } },
        },
      },
    },
    async (req) => {
      const { all } = req.query as { all: boolean };
      return { grants: (await listGrants(db, { active: !all, now: deps.now() })).map(toGrantWire) };
    },
  );

  app.delete(
    '/approvals/grants/:id',
    {
      schema: {
        summary: 'Revoke a grant before it runs out',
        tags: ['approvals'],
        params: idParams(GRANT_ID),
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const grant = await revokeGrant(db, id, { actor: actorOf(principalOf(req)), now: deps.now() });
      return { grant: toGrantWire(grant) };
    },
  );

  app.get(
    '/approvals/:id',
    { schema: { summary: 'Show an approval', tags: ['approvals'], params: idParams(APPROVAL_ID) } },
    async (req) => {
      const { id } = req.params as { id: string };
      const row = await getApproval(db, id);
      if (!row) throw new AppError('not_found', `no approval ${id}`);
      return { approval: toApprovalWire(row) };
    },
  );

  app.post(
    '/approvals/:id/approve',
    {
      schema: {
        summary:
          'Approve: the held request is forwarded (or one identical retry passes); grant_minutes widens it into a grant',
        tags: ['approvals'],
        params: idParams(APPROVAL_ID),
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            note: NOTE,
            grant_minutes: { type: 'integer', minimum: 1, maximum: MAX_GRANT_MINUTES },
          },
        },
      },
    },
    async (req): Promise<DecideApprovalAnswer> => {
      const { id } = req.params as { id: string };
      const b = (req.body ?? {}) as DecideApprovalBody;
      return decide(id, 'approved', req, b.note, b.grant_minutes);
    },
  );

  app.post(
    '/approvals/:id/deny',
    {
      schema: {
        summary: 'Deny: the held request is answered 403 approval_denied',
        tags: ['approvals'],
        params: idParams(APPROVAL_ID),
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { note: NOTE },
        },
      },
    },
    async (req): Promise<DecideApprovalAnswer> => {
      const { id } = req.params as { id: string };
      return decide(id, 'denied', req, ((req.body ?? {}) as DecideApprovalBody).note, undefined);
    },
  );

  async function decide(
    id: string,
    verdict: 'approved' | 'denied',
    req: Parameters<typeof principalOf>[0],
    note: string | undefined,
    grantMinutes: number | undefined,
  ): Promise<DecideApprovalAnswer> {
    const p = principalOf(req);
    const result = await deps.approvals.decide(id, {
      verdict,
      decider: { actor: actorOf(p), role: p.role },
      note: note ?? null,
      grantMinutes: grantMinutes ?? null,
      now: deps.now(),
    });
    return {
      approval: toApprovalWire(result.approval),
      grant: result.grant
        ? toGrantWire({ ...result.grant, gateway_name: result.approval.gateway_name })
        : null,
      also_approved: result.alsoApproved.map((a) => a.id),
    };
  }
}
