// Intake of a gateway's outbox: its events become audit events exactly once and in order. The
// gateway numbers its events; the highest one taken is kept per gateway (`last_event_id`).
//
// This is the control plane's hot path (one audit event per proxied request), and in `--role=all` it
// shares the event loop with the gateway: statements are prepared once on the raw connection (no
// query compilation, no fresh prepare per event), each event's details are canonicalised once (the
// stored text is the hashed text), and a batch is written in chunks of about half a millisecond, each
// its own transaction that also advances `last_event_id`, with the event loop free in between. Each
// chunk runs while it holds kysely's connection (so it never interleaves with a kysely transaction
// of another route) and takes the chain's last hash inside its transaction: order and chain hold.
import type Database from 'better-sqlite3';
import { Histogram, type Registry } from 'prom-client';
import { PreparedLedger } from '../../audit/ledger.js';
import type { ControlDatabase } from '../../storage/control-database.js';
import type { OutboxEvent } from '../../sync/outbox-event.js';
import { type GatewayEventIntake, gatewayAuditRecord } from './gateway-event.js';
import { createKyselyEventIntake } from './kysely-event-intake.js';

/** How long one chunk may keep the event loop (its commit comes on top, tens of µs in WAL). */
const CHUNK_BUDGET_MS = 0.5;

export type { GatewayEventIntake } from './gateway-event.js';

export function createGatewayEventIntake(
  db: ControlDatabase,
  opts: { registry?: Registry | undefined } = {},
): GatewayEventIntake {
  // Without a raw SQLite handle (PostgreSQL) the intake goes through kysely.
  const raw = db.raw;
  if (!raw) return createKyselyEventIntake(db.db);
  const runs = opts.registry && runSeconds(opts.registry);
  let prepared: Statements | undefined;
  return {
    async accept(gateway, events, now) {
      prepared ??= prepare(raw);
      const s = prepared;
      // Redelivered events (the gateway did not see our last answer) are skipped, not duplicated.
      const sorted = [...events].sort((a, b) => a.id - b.id);
      const createdAt = now.toISOString();
      let next = 0;
      let acknowledged = 0;
      do {
        // The connection is kysely's: hold it for the (synchronous) chunk, so no kysely transaction
        // of another request is open on it meanwhile.
        const done = await db.db.connection().execute(async () => {
          const started = performance.now();
          const result = s.chunk.immediate(gateway, sorted, next, createdAt);
          runs?.observe((performance.now() - started) / 1000);
          return result;
        });
        next = done.next;
        acknowledged = done.acknowledged;
        if (next < sorted.length) await new Promise((resolve) => setImmediate(resolve));
      } while (next < sorted.length);
      return acknowledged;
    },
  };
}

interface Statements {
  chunk: Database.Transaction<
    (
      gateway: { id: string; name: string },
      events: readonly OutboxEvent[],
      from: number,
      createdAt: string,
    ) => { next: number; acknowledged: number }
  >;
}

function prepare(raw: Database.Database): Statements {
  const ledger = new PreparedLedger(raw);
  const lastTaken = raw.prepare('SELECT last_event_id FROM gateways WHERE id = ?').pluck();
  const advance = raw.prepare('UPDATE gateways SET last_event_id = ?, last_seen_at = ? WHERE id = ?');
  const chunk = raw.transaction(
    (
      gateway: { id: string; name: string },
      events: readonly OutboxEvent[],
      from: number,
      createdAt: string,
    ) => {
      const taken = lastTaken.get(gateway.id) as number | undefined;
      if (taken === undefined) throw new Error(`unknown gateway ${gateway.id}`);
      const deadline = performance.now() + CHUNK_BUDGET_MS;
      let prev = ledger.lastHash();
      let last = taken;
      let i = from;
      while (i < events.length) {
        const e = events[i++]!;
        if (e.id <= last) continue;
        const r = gatewayAuditRecord(e, gateway.name);
        prev = ledger.append(
          { event_type: e.event_type, actor: r.actor, subject: r.subject, created_at: createdAt },
          r.details,
          prev,
          r.compact,
        );
        last = e.id;
        if (performance.now() >= deadline) break;
      }
      if (last > taken) advance.run(last, createdAt, gateway.id);
      return { next: i, acknowledged: last };
    },
  );
  return { chunk };
}

/** How long each chunk kept the event loop, commit included (what `npm run bench:gateway` reports). */
function runSeconds(registry: Registry): Histogram {
  return (registry.getSingleMetric('tameflare_audit_ingest_run_seconds') ??
    new Histogram({
      name: 'tameflare_audit_ingest_run_seconds',
      help: "Duration of one synchronous run of the gateway events' intake on the event loop (one transaction)",
      buckets: [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
      registers: [registry],
    })) as Histogram;
}
