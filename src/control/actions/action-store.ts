// SDK mode's action requests: what an agent asked to do, what was decided, and where it stands
// (allowed, denied, pending_approval → approved | rejected | expired, executed). Each transition
// appends its audit event in the same transaction. Every decision token issued for one request
// carries the request's nonce, so whichever is used first burns them all.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { burnNonce } from '../../tokens/nonce-store.js';
import type { Db } from '../db.js';

type Database = Kysely<LocalDatabase>;
export type ActionRequestRow = LocalDatabase['action_requests'];
export type ActionStatus =
  | 'allowed'
  | 'denied'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'executed';

export const newActionRequestId = () => `act_${randomBytes(12).toString('hex')}`;
export const newNonce = () => randomBytes(18).toString('base64url');

export async function insertActionRequest(db: Database, row: ActionRequestRow): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('action_requests').values(row).execute();
    const decision = JSON.parse(row.decision) as { code: string; reasons: string[] };
    await appendAuditEvent(trx, {
      type: `action_request.${row.status}`,
      actor: `agent:${row.agent}`,
      subject: row.action,
      details: {
        agent: row.agent,
        action_request_id: row.id,
        connector: row.connector,
        params: JSON.parse(row.parameters) as unknown,
        code: decision.code,
        reasons: decision.reasons,
        ...(row.approval_id ? { approval_id: row.approval_id } : {}),
      },
      createdAt: row.created_at,
    });
  });
}

/** An agent's own request (another agent's answers not found, like one that does not exist). */
export async function loadActionRequest(db: Db, id: string, agentId: string): Promise<ActionRequestRow> {
  const row = await db
    .selectFrom('action_requests')
    .selectAll()
    .where('id', '=', id)
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `no action request ${id} for this agent`);
  return row;
}

export async function findActionRequest(db: Db, id: string): Promise<ActionRequestRow | undefined> {
  return db.selectFrom('action_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves a request on (pending → approved/rejected/expired, allowed/approved → expired) with its event. */
export async function setActionStatus(
  db: Database,
  row: ActionRequestRow,
  status: ActionStatus,
  ctx: { now: Date; reason: string; expiresAt?: string | undefined },
): Promise<ActionRequestRow> {
  const now = ctx.now.toISOString();
  const next = { ...row, status, updated_at: now, expires_at: ctx.expiresAt ?? row.expires_at };
  await db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('action_requests')
      .set({ status, updated_at: now, expires_at: next.expires_at })
      .where('id', '=', row.id)
      .where('status', '=', row.status)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return; // someone else moved it first
    await appendAuditEvent(trx, {
      type: `action_request.${status}`,
      actor: 'system',
      subject: row.action,
      details: {
        agent: row.agent,
        action_request_id: row.id,
        reason: ctx.reason,
        approval_id: row.approval_id,
      },
      createdAt: now,
    });
  });
  return (await findActionRequest(db, row.id)) ?? next;
}

export type RedeemResult = { ok: true; row: ActionRequestRow } | { ok: false; used: boolean; detail: string };

/**
 * Burns the request's nonce and marks it executed, in one transaction with its audit event: the one
 * place a decision token is spent, whether the SDK's execute or a gateway presents it.
 */
export async function redeemActionRequest(
  db: Database,
  input: { id: string; nonce: string; via: string; now: Date },
): Promise<RedeemResult> {
  return db.transaction().execute(async (trx) => {
    const row = await findActionRequest(trx, input.id);
    if (!row || row.nonce !== input.nonce)
      return { ok: false, used: false, detail: 'the token answers no known action request' };
    if (row.status === 'executed') return { ok: false, used: true, detail: 'the token was already used' };
    if (row.status !== 'allowed' && row.status !== 'approved')
      return { ok: false, used: false, detail: `the action request is ${row.status}` };
    // The primary key of used_nonces decides a race between two presenters.
    if (!(await burnNonce(trx, input.nonce, input.now)))
      return { ok: false, used: true, detail: 'the token was already used' };
    const now = input.now.toISOString();
    await trx
      .updateTable('action_requests')
      .set({ status: 'executed', executed_at: now, updated_at: now })
      .where('id', '=', row.id)
      .execute();
    await appendAuditEvent(trx, {
      type: 'action_request.executed',
      actor: input.via,
      subject: row.action,
      details: { agent: row.agent, action_request_id: row.id },
      createdAt: now,
    });
    return { ok: true, row: { ...row, status: 'executed', executed_at: now, updated_at: now } };
  });
}
