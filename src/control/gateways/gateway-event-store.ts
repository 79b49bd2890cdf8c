// Intake of a gateway's outbox: its events become audit events exactly once and in order. The
// gateway numbers its events; the highest one taken is kept per gateway (`last_event_id`).
import type { Kysely } from 'kysely';
import { appendAuditEvents } from '../../audit/ledger.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { OutboxEvent } from '../../sync/outbox-event.js';

/** Appends the events not taken before; returns the highest event id now acknowledged. */
export async function acceptGatewayEvents(
  db: Kysely<LocalDatabase>,
  gateway: { id: string; name: string },
  events: readonly OutboxEvent[],
  now: Date,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('gateways')
      .select('last_event_id')
      .where('id', '=', gateway.id)
      .executeTakeFirstOrThrow();
    // Redelivered events (the gateway did not see our last answer) are skipped, not duplicated.
    const fresh = events.filter((e) => e.id > row.last_event_id).sort((a, b) => a.id - b.id);
    if (fresh.length === 0) return row.last_event_id;
    await appendAuditEvents(
      trx,
      fresh.map((e) => {
        let details: Record<string, unknown>;
        try {
          details = JSON.parse(e.payload) as Record<string, unknown>;
        } catch {
          details = { unparsable_payload: true };
        }
        const agent = typeof details.agent === 'string' ? details.agent : undefined;
        return {
          type: e.event_type,
          actor: agent ? `agent:${agent}` : `gateway:${gateway.name}`,
          subject: typeof details.action === 'string' ? details.action : undefined,
          details: { ...details, gateway: gateway.name, gateway_event_id: e.id },
        };
      }),
    );
    const last = fresh[fresh.length - 1]!.id;
    await trx
      .updateTable('gateways')
      .set({ last_event_id: last, last_seen_at: now.toISOString() })
      .where('id', '=', gateway.id)
      .execute();
    return last;
  });
}
