// Approvals and grants in local.db: all their SQL. Every change appends its audit event in the same
// transaction, so the ledger shows each step (requested, joined, approved or denied, used, expired,
// grant created, used and revoked) exactly when it happened.
import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { type ApprovalStatus, checkDecision } from '../../approvals/approval-rules.js';
import { appendAuditEvent } from '../../audit/ledger.js';
import { killSwitchCovers } from '../../decide/kill-switch.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Role } from '../accounts/roles.js';
import { type Db, inTransaction } from '../db.js';

type ApprovalTable = LocalDatabase['approvals'];
export type GrantRow = Selectable<LocalDatabase['approval_grants']>;
/** An approval with its gateway's name and its grant's expiry (for the wire form). */
export type ApprovalRow = Selectable<ApprovalTable> & {
  gateway_name: string | null;
  grant_expires_at: string | null;
};

export interface NewApproval {
  source: 'proxy' | 'sdk';
  gatewayId: string | null;
  /** The gateway's name (shown with the approval); null with gatewayId. */
  gatewayName: string | null;
  agent: string;
  action: string;
  connector: string | null;
  connectorType: string | null;
  method: string | null;
  host: string | null;
  path: string | null;
  params: Record<string, unknown>;
  reasons: string[];
  approverRoles: string[];
  digest: string;
  expiresAt: string;
}

/** What a request needing approval meets: a grant, an approved twin (used now), or a pending approval. */
export type ApprovalLookup =
  | { kind: 'granted'; grant: GrantRow }
  | { kind: 'approved'; approval: ApprovalRow }
  | { kind: 'pending'; approval: ApprovalRow; joined: boolean };

export interface Decider {
  actor: string;
  role: Role;
}

export const newApprovalId = () => `apv_${randomBytes(10).toString('hex')}`;
const newGrantId = () => `grt_${randomBytes(10).toString('hex')}`;

function selectApprovals(db: Db) {
  return db
    .selectFrom('approvals')
    .leftJoin('gateways', 'gateways.id', 'approvals.gateway_id')
    .leftJoin('approval_grants', 'approval_grants.id', 'approvals.grant_id')
    .selectAll('approvals')
    .select(['gateways.name as gateway_name', 'approval_grants.expires_at as grant_expires_at']);
}

export async function getApproval(db: Db, id: string): Promise<ApprovalRow | undefined> {
  return selectApprovals(db).where('approvals.id', '=', id).executeTakeFirst();
}

async function mustGet(db: Db, id: string): Promise<ApprovalRow> {
  const row = await getApproval(db, id);
  if (!row) throw new AppError('not_found', `no approval ${id}`);
  return row;
}

/**
 * A request that needs approval: an active grant for its agent and action lets it through; an approved
 * identical request not yet used lets it through once (it is marked used); a pending identical one is
 * joined; otherwise a new pending approval is opened.
 */
export async function requestApproval(db: Db, input: NewApproval, now: Date): Promise<ApprovalLookup> {
  const run = async (trx: Db): Promise<ApprovalLookup> => {
    const nowIso = now.toISOString();
    const grant = await activeGrant(trx, input.gatewayId, input.agent, input.action, nowIso);
    if (grant) {
      await appendAuditEvent(trx, {
        type: 'approval.grant_used',
        actor: `agent:${input.agent}`,
        subject: grant.id,
        details: {
          grant_id: grant.id,
          approval_id: grant.approval_id,
          action: input.action,
          digest: input.digest,
        },
        createdAt: nowIso,
      });
      return { kind: 'granted', grant };
    }
    const twin = await selectApprovals(trx)
      .where('approvals.digest', '=', input.digest)
      .where('approvals.agent', '=', input.agent)
      .where('approvals.status', 'in', ['approved', 'pending'])
      .where('approvals.expires_at', '>', nowIso)
      .orderBy('approvals.created_at', 'desc')
      .execute();
    const approved = twin.find((r) => r.status === 'approved' && r.used_at === null);
    if (approved) {
      await trx.updateTable('approvals').set({ used_at: nowIso }).where('id', '=', approved.id).execute();
      await appendAuditEvent(trx, {
        type: 'approval.used',
        actor: `agent:${input.agent}`,
        subject: approved.id,
        details: { approval_id: approved.id, action: input.action, via: 'retry' },
        createdAt: nowIso,
      });
      return { kind: 'approved', approval: { ...approved, used_at: nowIso } };
    }
    const pending = twin.find((r) => r.status === 'pending');
    if (pending) {
      await trx
        .updateTable('approvals')
        .set((eb) => ({ requests: eb('requests', '+', 1) }))
        .where('id', '=', pending.id)
        .execute();
      await appendAuditEvent(trx, {
        type: 'approval.joined',
        actor: `agent:${input.agent}`,
        subject: pending.id,
        details: { approval_id: pending.id, action: input.action },
        createdAt: nowIso,
      });
      return { kind: 'pending', approval: { ...pending, requests: pending.requests + 1 }, joined: true };
    }
    const id = newApprovalId();
    const row: Selectable<ApprovalTable> = {
      id,
      source: input.source,
      gateway_id: input.gatewayId,
      agent: input.agent,
      action: input.action,
      connector: input.connector,
      connector_type: input.connectorType,
      method: input.method,
      host: input.host,
      path: input.path,
      params: JSON.stringify(input.params),
      reasons: JSON.stringify(input.reasons.slice(0, 20)),
      approver_roles: JSON.stringify(input.approverRoles),
      digest: input.digest,
      requests: 1,
      status: 'pending',
      decided_by: null,
      note: null,
      decided_at: null,
      used_at: null,
      grant_id: null,
      created_at: nowIso,
      expires_at: input.expiresAt,
    };
    await trx.insertInto('approvals').values(row).execute();
    await appendAuditEvent(trx, {
      type: 'approval.requested',
      actor: `agent:${input.agent}`,
      subject: id,
      details: {
        approval_id: id,
        source: input.source,
        action: input.action,
        connector: input.connector,
        method: input.method,
        host: input.host,
        path: input.path,
        params: input.params,
        digest: input.digest,
        approver_roles: input.approverRoles,
        expires_at: input.expiresAt,
      },
      createdAt: nowIso,
    });
    return {
      kind: 'pending',
      approval: { ...row, gateway_name: input.gatewayName, grant_expires_at: null },
      joined: false,
    };
  };
  return inTransaction(db, run);
}

async function activeGrant(
  db: Db,
  gatewayId: string | null,
  agent: string,
  action: string,
  nowIso: string,
): Promise<GrantRow | undefined> {
  let q = db
    .selectFrom('approval_grants')
    .selectAll()
    .where('agent', '=', agent)
    .where('action', '=', action)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', nowIso);
  q = gatewayId === null ? q.where('gateway_id', 'is', null) : q.where('gateway_id', '=', gatewayId);
  return q.orderBy('expires_at', 'desc').executeTakeFirst();
}

export interface DecideInput {
  verdict: 'approved' | 'denied';
  decider: Decider;
  note: string | null;
  /** Approve only: widen into a grant for the same agent and action. */
  grantMinutes: number | null;
  now: Date;
}

export interface DecideResult {
  approval: ApprovalRow;
  grant: GrantRow | null;
  /** Other pending approvals for the same agent and action that the grant approved too. */
  alsoApproved: ApprovalRow[];
}

export async function decideApproval(db: Db, id: string, input: DecideInput): Promise<DecideResult> {
  return inTransaction(db, async (trx) => {
    const nowIso = input.now.toISOString();
    const row = await mustGet(trx, id);
    const check = checkDecision(decidable(row), input.decider.role, input.now);
    if (!check.ok) {
      if (check.code === 'insufficient_role') {
        throw new AppError('insufficient_role', check.message, {
          required_role: check.requiredRole,
          role: input.decider.role,
        });
      }
      throw new AppError('conflict', check.message);
    }
    if (input.verdict === 'denied' && input.grantMinutes !== null)
      throw new AppError('validation_failed', 'grant_minutes goes with approve only');
    let grant: GrantRow | null = null;
    if (input.verdict === 'approved' && input.grantMinutes !== null) {
      grant = {
        id: newGrantId(),
        gateway_id: row.gateway_id,
        agent: row.agent,
        action: row.action,
        approval_id: row.id,
        created_by: input.decider.actor,
        created_at: nowIso,
        expires_at: new Date(input.now.getTime() + input.grantMinutes * 60_000).toISOString(),
        revoked_at: null,
        revoked_by: null,
      };
      await trx.insertInto('approval_grants').values(grant).execute();
      await appendAuditEvent(trx, {
        type: 'approval.grant_created',
        actor: input.decider.actor,
        subject: grant.id,
        details: {
          grant_id: grant.id,
          approval_id: row.id,
          agent: row.agent,
          action: row.action,
          minutes: input.grantMinutes,
          expires_at: grant.expires_at,
        },
        createdAt: nowIso,
      });
    }
    if (
      !(await setDecision(
        trx,
        row,
        input.verdict,
        input.decider.actor,
        input.note,
        grant?.id ?? null,
        nowIso,
      ))
    )
      throw new AppError('conflict', `approval ${id} was decided meanwhile`);
    const alsoApproved: ApprovalRow[] = [];
    if (grant) {
      // The grant covers the same agent and action: requests already waiting for it need no second click.
      const siblings = await selectApprovals(trx)
        .where('approvals.agent', '=', row.agent)
        .where('approvals.action', '=', row.action)
        .where('approvals.status', '=', 'pending')
        .where('approvals.expires_at', '>', nowIso)
        .where('approvals.id', '!=', row.id)
        .execute();
      for (const s of siblings) {
        if (s.gateway_id !== row.gateway_id) continue;
        if (!checkDecision(decidable(s), input.decider.role, input.now).ok) continue;
        const covered = await setDecision(
          trx,
          s,
          'approved',
          input.decider.actor,
          `covered by grant ${grant.id}`,
          grant.id,
          nowIso,
        );
        if (covered) alsoApproved.push(await mustGet(trx, s.id));
      }
    }
    return { approval: await mustGet(trx, id), grant, alsoApproved };
  });
}

async function setDecision(
  trx: Db,
  row: ApprovalRow,
  status: 'approved' | 'denied' | 'expired' | 'cancelled',
  actor: string,
  note: string | null,
  grantId: string | null,
  nowIso: string,
): Promise<boolean> {
  // Another control-plane process (or request) may have decided it since it was read: on PostgreSQL
  // this update waits for that transaction and then finds no pending row. Only the one that changed it
  // records the decision.
  const res = await trx
    .updateTable('approvals')
    .set({ status, decided_by: actor, note, decided_at: nowIso, grant_id: grantId })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return false;
  await appendAuditEvent(trx, {
    type: `approval.${status}`,
    actor,
    subject: row.id,
    details: {
      approval_id: row.id,
      agent: row.agent,
      action: row.action,
      note,
      ...(grantId ? { grant_id: grantId } : {}),
    },
    createdAt: nowIso,
  });
  return true;
}

function decidable(row: ApprovalRow) {
  return {
    id: row.id,
    status: row.status as ApprovalStatus,
    expiresAt: row.expires_at,
    approverRoles: JSON.parse(row.approver_roles) as string[],
  };
}

export type ConsumeResult = { ok: true; via: 'grant' | 'approval' } | { ok: false; status: string };

/**
 * A gateway releasing a held request for an approved approval asks here first: an approval lets one
 * request through (a grant any number while it lasts), so two gateways or a racing retry cannot both
 * pass on one click.
 */
export async function useApproval(db: Db, id: string, now: Date): Promise<ConsumeResult> {
  return inTransaction(db, async (trx) => {
    const nowIso = now.toISOString();
    const row = await mustGet(trx, id);
    if (row.status !== 'approved') return { ok: false, status: row.status };
    if (row.grant_id && row.grant_expires_at && row.grant_expires_at > nowIso) {
      const grant = await trx
        .selectFrom('approval_grants')
        .select('revoked_at')
        .where('id', '=', row.grant_id)
        .executeTakeFirst();
      if (grant && grant.revoked_at === null) {
        if (row.used_at === null)
          await trx.updateTable('approvals').set({ used_at: nowIso }).where('id', '=', id).execute();
        return { ok: true, via: 'grant' };
      }
    }
    if (row.used_at !== null) return { ok: false, status: 'used' };
    const res = await trx
      .updateTable('approvals')
      .set({ used_at: nowIso })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return { ok: false, status: 'used' };
    await appendAuditEvent(trx, {
      type: 'approval.used',
      actor: `agent:${row.agent}`,
      subject: id,
      details: { approval_id: id, action: row.action, via: 'held' },
      createdAt: nowIso,
    });
    return { ok: true, via: 'approval' };
  });
}

/** Pending approvals past their expiry become expired; returns them. */
export async function expireApprovals(db: Db, now: Date): Promise<ApprovalRow[]> {
  return inTransaction(db, async (trx) => {
    const nowIso = now.toISOString();
    const due = await selectApprovals(trx)
      .where('approvals.status', '=', 'pending')
      .where('approvals.expires_at', '<=', nowIso)
      .execute();
    const out: ApprovalRow[] = [];
    for (const row of due) {
      if (await setDecision(trx, row, 'expired', 'system', null, null, nowIso))
        out.push(await mustGet(trx, row.id));
    }
    return out;
  });
}

/**
 * The kill switch denies pending approvals in its scope (on one gateway when it was that gateway's
 * own); returns them.
 */
export async function denyPendingInScope(
  db: Db,
  scope: string,
  ctx: { actor: string; now: Date; gatewayId?: string | undefined; note: string },
): Promise<ApprovalRow[]> {
  return inTransaction(db, async (trx) => {
    const nowIso = ctx.now.toISOString();
    let q = selectApprovals(trx).where('approvals.status', '=', 'pending');
    if (ctx.gatewayId !== undefined) q = q.where('approvals.gateway_id', '=', ctx.gatewayId);
    const pending = await q.execute();
    const out: ApprovalRow[] = [];
    for (const row of pending) {
      const covered = killSwitchCovers(scope, {
        agent: { name: row.agent, mode: 'enforce', labels: {} },
        connector: { name: row.connector ?? '', type: row.connector_type ?? '' },
      });
      if (!covered) continue;
      if (await setDecision(trx, row, 'denied', ctx.actor, ctx.note, null, nowIso))
        out.push(await mustGet(trx, row.id));
    }
    return out;
  });
}

/** Withdraws a pending approval without a decision (SDK mode: the caller gave up). */
export async function cancelApproval(
  db: Db,
  id: string,
  ctx: { actor: string; now: Date; note?: string | undefined },
): Promise<ApprovalRow> {
  return inTransaction(db, async (trx) => {
    const row = await mustGet(trx, id);
    if (row.status !== 'pending') throw new AppError('conflict', `approval ${id} is already ${row.status}`);
    if (!(await setDecision(trx, row, 'cancelled', ctx.actor, ctx.note ?? null, null, ctx.now.toISOString())))
      throw new AppError('conflict', `approval ${id} was decided meanwhile`);
    return mustGet(trx, id);
  });
}

export interface ApprovalFilters {
  status?: string | undefined;
  agent?: string | undefined;
  action?: string | undefined;
  gateway?: string | undefined;
  /** Only approvals created before this id's creation (paging, newest first). */
  before?: string | undefined;
  limit: number;
}

export async function listApprovals(db: Db, f: ApprovalFilters): Promise<ApprovalRow[]> {
  let q = selectApprovals(db);
  if (f.status) q = q.where('approvals.status', '=', f.status);
  if (f.agent) q = q.where('approvals.agent', '=', f.agent);
  if (f.action) q = q.where('approvals.action', '=', f.action);
  if (f.gateway) q = q.where('gateways.name', '=', f.gateway);
  if (f.before) {
    const anchor = await db
      .selectFrom('approvals')
      .select('created_at')
      .where('id', '=', f.before)
      .executeTakeFirst();
    if (!anchor) throw new AppError('not_found', `no approval ${f.before}`);
    q = q.where((eb) =>
      eb.or([
        eb('approvals.created_at', '<', anchor.created_at),
        eb.and([eb('approvals.created_at', '=', anchor.created_at), eb('approvals.id', '<', f.before!)]),
      ]),
    );
  }
  return q.orderBy('approvals.created_at', 'desc').orderBy('approvals.id', 'desc').limit(f.limit).execute();
}

/** A gateway's approvals that are pending or were decided since `sinceIso` (sent when its stream opens). */
export async function recentGatewayApprovals(
  db: Db,
  gatewayId: string,
  sinceIso: string,
): Promise<ApprovalRow[]> {
  return selectApprovals(db)
    .where('approvals.gateway_id', '=', gatewayId)
    .where((eb) =>
      eb.or([eb('approvals.status', '=', 'pending'), eb('approvals.decided_at', '>=', sinceIso)]),
    )
    .orderBy('approvals.created_at')
    .limit(5000)
    .execute();
}

export async function countPendingApprovals(db: Db): Promise<number> {
  const row = await db
    .selectFrom('approvals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listGrants(
  db: Db,
  opts: { active: boolean; now: Date },
): Promise<(GrantRow & { gateway_name: string | null })[]> {
  let q = db
    .selectFrom('approval_grants')
    .leftJoin('gateways', 'gateways.id', 'approval_grants.gateway_id')
    .selectAll('approval_grants')
    .select('gateways.name as gateway_name');
  if (opts.active) {
    q = q
      .where('approval_grants.revoked_at', 'is', null)
      .where('approval_grants.expires_at', '>', opts.now.toISOString());
  }
  return q.orderBy('approval_grants.created_at', 'desc').limit(500).execute();
}

export async function revokeGrant(db: Db, id: string, ctx: { actor: string; now: Date }): Promise<GrantRow> {
  return inTransaction(db, async (trx) => {
    const grant = await trx.selectFrom('approval_grants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!grant) throw new AppError('not_found', `no grant ${id}`);
    if (grant.revoked_at !== null) throw new AppError('conflict', `grant ${id} is already revoked`);
    const nowIso = ctx.now.toISOString();
    await trx
      .updateTable('approval_grants')
      .set({ revoked_at: nowIso, revoked_by: ctx.actor })
      .where('id', '=', id)
      .execute();
    await appendAuditEvent(trx, {
      type: 'approval.grant_revoked',
      actor: ctx.actor,
      subject: id,
      details: { grant_id: id, agent: grant.agent, action: grant.action },
      createdAt: nowIso,
    });
    return { ...grant, revoked_at: nowIso, revoked_by: ctx.actor };
  });
}
