// Intake of a gateway's outbox through kysely, for a control-plane database without a raw SQLite
// handle (PostgreSQL, shared by several control-plane processes). Same contract as the prepared
// SQLite intake in gateway-event-store.ts: each event becomes one audit event, exactly once and in
// order. Across processes that holds because each chunk runs in one transaction that first locks
// the gateway's row (a redelivery reaching another process waits, then skips what was taken) and
// then the audit chain (chain-lock.ts), in the order every configuration change takes them.
import { lockAuditChain, recordChainHighWater } from '../../audit/chain-lock.js';
import { chainHash, GENESIS_HASH } from '../../audit/ledger.js';
import { isPostgres } from '../../storage/dialect.js';
import type { Db } from '../db.js';
import { type GatewayEventIntake, gatewayAuditRecord } from './gateway-event.js';

/** Events per transaction: one multi-row insert each (7 parameters a row, far below the limit). */
const CHUNK = 500;

export function createKyselyEventIntake(db: Db): GatewayEventIntake {
  return {
    async accept(gateway, events, now) {
      const sorted = [...events].sort((a, b) => a.id - b.id);
      const createdAt = now.toISOString();
      let acknowledged = 0;
      for (let from = 0; from === 0 || from < sorted.length; from += CHUNK) {
        const chunk = sorted.slice(from, from + CHUNK);
        acknowledged = await db.transaction().execute(async (trx) => {
          let gw = trx.selectFrom('gateways').select('last_event_id').where('id', '=', gateway.id);
          if (isPostgres(trx)) gw = gw.forUpdate();
          const row = await gw.executeTakeFirst();
          if (!row) throw new Error(`unknown gateway ${gateway.id}`);
          const fresh = chunk.filter((e) => e.id > row.last_event_id);
          if (fresh.length === 0) return row.last_event_id;
          await lockAuditChain(trx);
          const last = await trx
            .selectFrom('audit_events')
            .select('hash')
            .orderBy('id', 'desc')
            .limit(1)
            .executeTakeFirst();
          let prev = last?.hash ?? GENESIS_HASH;
          const rows = fresh.map((e) => {
            const { actor, subject, details, compact } = gatewayAuditRecord(e, gateway.name);
            const r = { event_type: e.event_type, actor, subject, details, created_at: createdAt };
            const hash = chainHash(r, details, prev);
            // A compact event's previous hash is implied by its place in the chain (ledger.ts).
            const stored = { ...r, prev_hash: compact ? null : prev, hash };
            prev = hash;
            return stored;
          });
          const ids = await trx.insertInto('audit_events').values(rows).returning('id').execute();
          await recordChainHighWater(trx, Math.max(...ids.map((r) => r.id)));
          const taken = fresh[fresh.length - 1]!.id;
          await trx
            .updateTable('gateways')
            .set({ last_event_id: taken, last_seen_at: createdAt })
            .where('id', '=', gateway.id)
            .execute();
          return taken;
        });
      }
      return acknowledged;
    },
  };
}
