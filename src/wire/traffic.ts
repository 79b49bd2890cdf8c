// Wire types of /v1/traffic: proxied requests as gateways reported them.

export interface TrafficEntry {
  id: number;
  created_at: string;
  event_type: string;
  request_id: string | null;
  gateway: string | null;
  agent: string | null;
  connector: string | null;
  action: string | null;
  method: string | null;
  host: string | null;
  path: string | null;
  decision: string | null;
  reason: string | null;
  status: number | null;
  latency_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  error: string | null;
  mode: string | null;
  /** The action's parameters as the gateway logged them: secrets redacted, bounded (~4 KiB). */
  params: Record<string, unknown> | null;
  /** The gateway's traffic_log row the event refers to (null: an event that copied it, from before). */
  traffic_id?: number | null | undefined;
  /**
   * `unavailable`: the gateway no longer holds the row (its retention is shorter than the audit
   * log's) or could not be asked, so only what the ledger keeps is shown (agent, action, decision).
   */
  details?: 'unavailable' | undefined;
}

export interface TrafficPage {
  entries: TrafficEntry[];
  /** Pass as `after_id` to follow. */
  last_id: number;
}

/**
 * The gateway's side of compact action events: its traffic_log rows by id, which the control plane's
 * `action.*` events refer to (`traffic_id`) instead of copying. GET with `?ids=1,2,3` (at most
 * MAX_TRAFFIC_IDS), service token; ids the gateway no longer holds (pruned) are simply absent.
 */
export const GATEWAY_TRAFFIC_PATH = '/internal/traffic';
export const MAX_TRAFFIC_IDS = 1000;

export interface GatewayTrafficRow {
  id: number;
  request_id: string;
  agent: string | null;
  connector: string | null;
  action: string | null;
  method: string;
  host: string;
  path: string;
  decision: string | null;
  reason: string | null;
  status: number | null;
  latency_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  error: string | null;
  mode: string | null;
  created_at: string;
  completed_at: string | null;
  params: Record<string, unknown> | null;
}

export interface GatewayTrafficRows {
  rows: GatewayTrafficRow[];
}
