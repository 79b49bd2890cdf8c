// The traffic_log rows the control plane's compact action events refer to (`traffic_id`), read by
// primary key for GET /internal/traffic (internal-api.ts checks the service token). A read on the
// event loop's own connection: in WAL it never waits for the writer thread, and a lookup of at most
// MAX_TRAFFIC_IDS ids by primary key takes well under a millisecond.
import type Database from 'better-sqlite3';
import type { GatewayTrafficRow } from '../../wire/traffic.js';

export function trafficRowReader(raw: Database.Database): (ids: readonly number[]) => GatewayTrafficRow[] {
  let select: Database.Statement | undefined;
  return (ids) => {
    if (ids.length === 0) return [];
    select ??= raw.prepare(
      `SELECT id, request_id, agent, connector, action, method, host, path, decision, reason, status,
         latency_ms, bytes_in, bytes_out, error, mode, created_at, completed_at, params
       FROM traffic_log WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    );
    const rows = select.all(JSON.stringify(ids)) as (Omit<GatewayTrafficRow, 'params'> & {
      params: string | null;
    })[];
    return rows.map((r) => ({ ...r, params: r.params === null ? null : (JSON.parse(r.params) as never) }));
  };
}
