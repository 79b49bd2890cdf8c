// Rate limits: one token bucket per (agent or '*', connector?, action pattern?). That triple is the
// identity, so setting a limit again for the same triple changes its rate and burst instead of
// stacking a second bucket, and a configuration document can name a limit without its random id.

import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { isValidActionPattern } from '../../decide/patterns.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { RateLimitView } from '../../wire/rate-limits.js';
import { randomId } from '../auth/secret-tokens.js';
import type { Db } from '../db.js';
import { bumpAllConfigVersions } from '../gateways/gateway-store.js';

type RateLimitRow = LocalDatabase['rate_limits'];

export interface RateLimitInput {
  agent: string; // a name or '*'
  connector?: string | undefined;
  action?: string | undefined;
  rate: number; // tokens per second
  burst: number;
}

export const MAX_RATE = 1_000_000;
export const MAX_BURST = 1_000_000;

export function rateLimitView(r: RateLimitRow): RateLimitView {
  return {
    id: r.id,
    agent: r.agent,
    connector: r.connector,
    action: r.action,
    rate: r.rate,
    burst: r.burst,
    created_at: r.created_at,
  };
}

/** `agent/connector/action` with `*` for an absent part: how a limit is named in diffs and messages. */
export function rateLimitKey(r: {
  agent: string;
  connector?: string | null;
  action?: string | null;
}): string {
  return `${r.agent}/${r.connector ?? '*'}/${r.action ?? '*'}`;
}

/** Why the input is unusable, or undefined (shape only; references are checked by the caller). */
export function rateLimitProblem(r: RateLimitInput): string | undefined {
  if (r.action !== undefined && !isValidActionPattern(r.action))
    return `action: not an action pattern: ${r.action} (e.g. stripe.refund.*, *)`;
  if (!(Number.isFinite(r.rate) && r.rate > 0 && r.rate <= MAX_RATE))
    return `rate: must be a number of tokens per second above 0 (at most ${MAX_RATE})`;
  if (!(Number.isInteger(r.burst) && r.burst >= 1 && r.burst <= MAX_BURST))
    return `burst: must be a whole number from 1 to ${MAX_BURST}`;
  return undefined;
}

export async function findRateLimit(db: Db, r: Omit<RateLimitInput, 'rate' | 'burst'>) {
  return db
    .selectFrom('rate_limits')
    .selectAll()
    .where('agent', '=', r.agent)
    .where('connector', r.connector === undefined ? 'is' : '=', r.connector ?? null)
    .where('action', r.action === undefined ? 'is' : '=', r.action ?? null)
    .executeTakeFirst();
}

export type RateLimitOutcome = { change: 'created' | 'updated' | 'unchanged'; row: RateLimitRow };

/** Creates or updates the limit for this triple, with its audit event. */
export async function setRateLimit(
  trx: Db,
  input: RateLimitInput,
  ctx: { actor: string; now: Date },
): Promise<RateLimitOutcome> {
  const problem = rateLimitProblem(input);
  if (problem) throw new AppError('validation_failed', problem);
  const existing = await findRateLimit(trx, input);
  if (existing && existing.rate === input.rate && existing.burst === input.burst)
    return { change: 'unchanged', row: existing };
  let row: RateLimitRow;
  if (existing) {
    await trx
      .updateTable('rate_limits')
      .set({ rate: input.rate, burst: input.burst })
      .where('id', '=', existing.id)
      .execute();
    row = { ...existing, rate: input.rate, burst: input.burst };
  } else {
    row = {
      id: randomId(),
      agent: input.agent,
      connector: input.connector ?? null,
      action: input.action ?? null,
      rate: input.rate,
      burst: input.burst,
      created_at: ctx.now.toISOString(),
    };
    await trx.insertInto('rate_limits').values(row).execute();
  }
  await appendAuditEvent(trx, {
    type: 'rate_limit.set',
    actor: ctx.actor,
    subject: input.agent === '*' ? 'agent:*' : `agent:${input.agent}`,
    details: { id: row.id, connector: row.connector, action: row.action, rate: row.rate, burst: row.burst },
  });
  return { change: existing ? 'updated' : 'created', row };
}

export async function removeRateLimit(trx: Db, id: string, ctx: { actor: string }): Promise<RateLimitRow> {
  const row = await trx.selectFrom('rate_limits').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not_found', `no rate limit ${id}`);
  await trx.deleteFrom('rate_limits').where('id', '=', id).execute();
  await appendAuditEvent(trx, {
    type: 'rate_limit.removed',
    actor: ctx.actor,
    subject: row.agent === '*' ? 'agent:*' : `agent:${row.agent}`,
    details: { id, connector: row.connector, action: row.action, rate: row.rate, burst: row.burst },
  });
  return row;
}

/** A limit names an agent that exists (or '*'), and a connector that exists where that agent is. */
export async function checkRateLimitTargets(db: Db, r: Pick<RateLimitInput, 'agent' | 'connector'>) {
  let gatewayId: string | undefined;
  if (r.agent !== '*') {
    const a = await db
      .selectFrom('agents')
      .select('gateway_id')
      .where('name', '=', r.agent)
      .executeTakeFirst();
    if (!a) throw new AppError('not_found', `no agent named ${r.agent}`);
    gatewayId = a.gateway_id;
  }
  if (r.connector !== undefined) {
    let q = db.selectFrom('connectors').select('name').where('name', '=', r.connector);
    if (gatewayId) q = q.where('gateway_id', '=', gatewayId);
    if (!(await q.executeTakeFirst()))
      throw new AppError(
        'not_found',
        `no connector named ${r.connector}${gatewayId ? " on the agent's gateway" : ''}`,
      );
  }
}

/**
 * The API's set: checks what the limit names, sets it, and (when something changed) bumps every
 * gateway's configuration version, whose ids it returns.
 */
export async function putRateLimit(
  db: Kysely<LocalDatabase>,
  input: RateLimitInput,
  ctx: { actor: string; now: Date },
): Promise<{ outcome: RateLimitOutcome; gatewayIds: string[] }> {
  return db.transaction().execute(async (trx) => {
    await checkRateLimitTargets(trx, input);
    const outcome = await setRateLimit(trx, input, ctx);
    const gatewayIds = outcome.change === 'unchanged' ? [] : await bumpAllConfigVersions(trx);
    return { outcome, gatewayIds };
  });
}

/** Limits in order; with an agent, those that apply to it (its own and those set for every agent). */
export async function listRateLimits(db: Db, agent: string | undefined): Promise<RateLimitRow[]> {
  let q = db.selectFrom('rate_limits').selectAll().orderBy('agent').orderBy('created_at').orderBy('id');
  if (agent) q = q.where('agent', 'in', [agent, '*']);
  return q.execute();
}

/** The API's remove: returns the ids of the gateways to notify. */
export async function deleteRateLimit(
  db: Kysely<LocalDatabase>,
  id: string,
  ctx: { actor: string },
): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await removeRateLimit(trx, id, ctx);
    return bumpAllConfigVersions(trx);
  });
}
