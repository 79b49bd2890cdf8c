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
    // The code says why a request was refused or held; a plain allow (`allowed`) says nothing more.
    const details = compactDetails(
      typeof decision === 'string' ? decision : null,
      gatewayName,
      trafficId,
      typeof code === 'string' && code !== 'allowed' ? code : undefined,
    );
    return { actor, subject, details, compact: true };
  }
  payload.gateway = gatewayName;
  payload.gateway_event_id = e.id;
  return { actor, subject, details: canonicalJson(payload), compact: false };
}

/**
 * canonicalJson({code?, decision, gateway, traffic_id}) written out directly: the keys in their sorted
 * order, strings as JSON.stringify writes them, the id a safe integer. One per proxied request, so
 * without the generic walk's key array, sort and per-key strings (~1.6 KB of garbage per event,
 * measured); test/control/compact-details.test.ts holds it to canonicalJson.
 */
export function compactDetails(
  decision: string | null,
  gateway: string,
  trafficId: number,
  code: string | undefined,
): string {
  const head = code === undefined ? '{' : `{"code":${JSON.stringify(code)},`;
  const d = decision === null ? 'null' : JSON.stringify(decision);
  return `${head}"decision":${d},"gateway":${JSON.stringify(gateway)},"traffic_id":${trafficId}}`;
}
