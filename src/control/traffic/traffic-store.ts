// Traffic as the control plane knows it: the `action.*` audit events gateways ship through their
// outbox (see gateways/gateway-event-store.ts).
import { type Kysely, sql } from 'kysely';
import { isPostgres } from '../../storage/dialect.js';
import type { LocalDatabase } from '../../storage/local-schema.js';

export interface TrafficQuery {
  last: number;
  agent?: string | undefined;
  decision?: string | undefined;
  /** An action (`stripe.refund.create`) or a family of them (`stripe.refund.*`). */
  action?: string | undefined;
  /** `NAME=VALUE` conditions on the action's parameters, all of which must hold. */
  param?: string[] | undefined;
  after_id?: number | undefined;
}

/** A parameter condition: `amount=5000`, `currency=usd`, `metadata.order=A1` (dotted: nested). */
export const PARAM_FILTER = '^[A-Za-z0-9_]{1,64}(\\.[A-Za-z0-9_]{1,64}){0,3}=.{0,256}$';
export const ACTION_FILTER = '^[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,7}(\\.\\*)?$';

export interface TrafficEventRow {
  id: number;
  event_type: string;
  actor: string;
  subject: string | null;
  details: string;
  created_at: string;
}

/**
 * Action events filtered on what the ledger holds (agent, action, decision), oldest first: with
 * `after_id` the next `last` after it (for --follow), with `before_id` the `last` before it, otherwise
 * the newest `last`. Parameter conditions are applied by the caller (traffic-entries.ts): a compact
 * event's parameters are in the gateway's row, not here.
 */
export async function trafficEvents(
  db: Kysely<LocalDatabase>,
  q: Omit<TrafficQuery, 'param'> & { before_id?: number | undefined },
): Promise<TrafficEventRow[]> {
  let sel = db
    .selectFrom('audit_events')
    .select(['id', 'event_type', 'actor', 'subject', 'details', 'created_at'])
    .where('event_type', 'like', 'action.%');
  if (q.after_id !== undefined) sel = sel.where('id', '>', q.after_id);
  if (q.before_id !== undefined) sel = sel.where('id', '<', q.before_id);
  if (q.agent) sel = sel.where('actor', '=', `agent:${q.agent}`);
  if (q.action) {
    // The pattern is validated (ACTION_FILTER), so its only wildcard is a trailing `*`: a prefix.
    const action = q.action;
    const prefix = action.slice(0, -1);
    sel = action.endsWith('.*')
      ? sel.where(sql<boolean>`substr(subject, 1, ${sql.lit(prefix.length)}) = ${prefix}`)
      : sel.where('subject', '=', action);
  }
  if (q.decision) {
    // JSON lives in text columns on both engines; PostgreSQL reads it through a jsonb cast. Full and
    // compact events both keep `decision`.
    const decision = isPostgres(db)
      ? sql<string>`(details::jsonb) ->> 'decision'`
      : sql<string>`details ->> '$.decision'`;
    sel = sel.where(decision, '=', q.decision);
  }
  return q.after_id !== undefined
    ? sel.orderBy('id', 'asc').limit(q.last).execute()
    : (await sel.orderBy('id', 'desc').limit(q.last).execute()).reverse();
}
