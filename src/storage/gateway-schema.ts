// Row types of gateway.db (see migrations/gateway). Timestamps are ISO-8601 UTC text.
import type { Generated } from 'kysely';

export interface TrafficLogTable {
  id: Generated<number>;
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
  /** The action's parameters: JSON, secrets redacted, bounded (NULL: none). */
  params: string | null;
}

export interface GatewayDatabase {
  traffic_log: TrafficLogTable;
  config_cache: { id: number; version: number; snapshot: string; updated_at: string };
  vault_credentials: {
    connector: string;
    iv: Buffer;
    ciphertext: Buffer;
    tag: Buffer;
    last4: string | null;
    updated_at: string;
  };
  outbox: { id: Generated<number>; event_type: string; payload: string; created_at: string };
  gateway_meta: { key: string; value: string };
  local_kill_switch: { scope: string; reason: string | null; activated_at: string };
}
