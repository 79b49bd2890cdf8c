// Traffic as the control plane knows it: the `action.*` audit events gateways ship through their
// outbox (see gateways/gateway-event-store.ts).
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';

export interface TrafficQuery {
  last: number;
  agent?: string | undefined;
  decision?: string | undefined;
  after_id?: number | undefined;
}

export interface TrafficEventRow {
  id: number;
  event_type: string;
  details: string;
  created_at: string;
}

/** With `after_id`, the next events after it (for --follow); otherwise the newest N. Oldest first. */
export async function trafficEvents(db: Kysely<LocalDatabase>, q: TrafficQuery): Promise<TrafficEventRow[]> {
  let sel = db
    .selectFrom('audit_events')
    .select(['id', 'event_type', 'details', 'created_at'])
    .where('event_type', 'like', 'action.%');
  if (q.after_id !== undefined) sel = sel.where('id', '>', q.after_id);
  if (q.agent) sel = sel.where('actor', '=', `agent:${q.agent}`);
  if (q.decision)
    sel = sel.where(
      (eb) => eb.fn('json_extract', [eb.ref('details'), eb.val('$.decision')]),
      '=',
      q.decision,
    );
  return q.after_id !== undefined
    ? sel.orderBy('id', 'asc').limit(q.last).execute()
    : (await sel.orderBy('id', 'desc').limit(q.last).execute()).reverse();
}
