// What both intakes of a gateway's outbox share: their contract and how an event becomes an audit
// event. A gateway's per-request event names its traffic_log row (`traffic_id`): the ledger keeps
// who, what and the decision, and refers to the row for the rest (method, path, status, parameters,
// reasons), which stays in the gateway's traffic log (docs/operations.md, "Compact action events").
// An event without `traffic_id` (a gateway from before, or a standalone event) keeps its whole payload.
import { canonicalJson } from '../../audit/canonical-json.js';
import type { OutboxEvent } from '../../sync/outbox-event.js';

export interface GatewayEventIntake {
  /** Appends the events not taken before; resolves to the highest event id now acknowledged. */
  accept(gateway: { id: string; name: string }, events: readonly OutboxEvent[], now: Date): Promise<number>;
}

/** An outbox event as the ledger stores it. */
export interface GatewayAuditRecord {
  actor: string;
  subject: string | null;
  /** Canonical JSON: the text hashed is the text stored. */
  details: string;
  /** A compact action event: its previous hash is implied, not stored (src/audit/ledger.ts). */
  compact: boolean;
}

export function gatewayAuditRecord(e: OutboxEvent, gatewayName: string): GatewayAuditRecord {
  let payload: Record<string, unknown>;
  try {
    const parsed = JSON.parse(e.payload) as unknown;
    payload =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { unparsable_payload: true };
  } catch {
    payload = { unparsable_payload: true };
  }
  const { agent, action, traffic_id: trafficId } = payload;
  const actor = typeof agent === 'string' ? `agent:${agent}` : `gateway:${gatewayName}`;
  const subject = typeof action === 'string' ? action : null;
  if (typeof trafficId === 'number' && Number.isSafeInteger(trafficId) && trafficId > 0) {
    const { decision, code } = payload;
    const details: Record<string, unknown> = {
      decision: typeof decision === 'string' ? decision : null,
      gateway: gatewayName,
      traffic_id: trafficId,
    };
    // The code says why a request was refused or held; a plain allow (`allowed`) says nothing more.
    if (typeof code === 'string' && code !== 'allowed') details.code = code;
    return { actor, subject, details: canonicalJson(details), compact: true };
  }
  payload.gateway = gatewayName;
  payload.gateway_event_id = e.id;
  return { actor, subject, details: canonicalJson(payload), compact: false };
}
