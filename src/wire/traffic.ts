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
}

export interface TrafficPage {
  entries: TrafficEntry[];
  /** Pass as `after_id` to follow. */
  last_id: number;
}
