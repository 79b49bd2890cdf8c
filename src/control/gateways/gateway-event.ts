// What both intakes of a gateway's outbox share: their contract and how an event's audit details
// are made from its payload.
import type { OutboxEvent } from '../../sync/outbox-event.js';

export interface GatewayEventIntake {
  /** Appends the events not taken before; resolves to the highest event id now acknowledged. */
  accept(gateway: { id: string; name: string }, events: readonly OutboxEvent[], now: Date): Promise<number>;
}

/** The audit details of a gateway event: its payload, named by gateway and event id. */
export function eventDetails(e: OutboxEvent, gatewayName: string): Record<string, unknown> {
  let details: Record<string, unknown>;
  try {
    const parsed = JSON.parse(e.payload) as unknown;
    details =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { unparsable_payload: true };
  } catch {
    details = { unparsable_payload: true };
  }
  details.gateway = gatewayName;
  details.gateway_event_id = e.id;
  return details;
}
