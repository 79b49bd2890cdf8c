// The link's outbox contract: the events a gateway ships to its control plane, in order, until
// acknowledged. The gateway numbers them; the control plane takes each id once.

/** Where the gateway opens its configuration stream (server-sent `snapshot` events). */
export const GATEWAY_STREAM_PATH = '/internal/gateway/stream';
/** Where the gateway posts its outbox. */
export const GATEWAY_EVENTS_PATH = '/internal/gateway/events';

export interface OutboxEvent {
  id: number;
  /** `action.forwarded`, `action.denied`, … */
  event_type: string;
  /** The event's JSON, as written when it happened. */
  payload: string;
  created_at: string;
}

/** POST body of GATEWAY_EVENTS_PATH. */
export interface OutboxBatch {
  gateway: string;
  events: OutboxEvent[];
}

/** Its answer: every event up to this id is recorded (redelivered ones are skipped). */
export interface OutboxAck {
  acknowledged: number;
}
