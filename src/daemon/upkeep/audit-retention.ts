// Audit-event retention on the control plane, in chunks: each deletes a contiguous prefix of the
// chain (oldest first, stopping at the first event inside the retention window) and rewrites the
// signed anchor in the same transaction, so `audit verify` passes from the anchor after every
// chunk. The newest event always stays: it is what the next appended event chains to.
//
// Threat model: retention is the one deletion the ledger allows. It never deletes past an anchor
// that does not verify (someone edited it): re-signing would launder the edit, so it stops and says
// so until `audit verify` passes again.
import { type Kysely, sql } from 'kysely';
import { type AnchorKeys, readAnchor, writeAnchor } from '../../audit/anchor.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { ChunkOutcome, RetentionTarget } from './retention-sweep.js';

export function auditRetention(
  db: Kysely<LocalDatabase>,
  opts: {
    days: number;
    /** Looked up for each chunk: a rotation while the daemon runs signs the next anchor with the new key. */
    keys: AnchorKeys;
    now: () => Date;
    pageSize: number;
    incremental: () => boolean;
  },
): RetentionTarget {
  return {
    table: 'audit_events',
    days: opts.days,
    async chunk(cutoff, rows, pages): Promise<ChunkOutcome> {
      const started = performance.now();
      let deleted = 0;
      let exhausted = rows === 0;
      if (rows > 0) {
        // Before the transaction: the ring reads the database through the connection it would hold.
        const keys = await opts.keys();
        deleted = await db.transaction().execute(async (trx) => {
          const oldest = await trx
            .selectFrom('audit_events')
            .select(['id', 'hash', 'created_at'])
            .where('id', '<', sql<number>`(select max(id) from audit_events)`)
            .orderBy('id')
            .limit(rows)
            .execute();
          let last: { id: number; hash: string } | undefined;
          for (const e of oldest) {
            if (e.created_at >= cutoff || !e.hash) break;
            last = { id: e.id, hash: e.hash };
          }
          exhausted = last?.id !== oldest.at(-1)?.id || oldest.length < rows;
          if (!last) return 0;
          // Verified with every key the control plane ever signed with: the anchor may predate a
          // `keys rotate` (and a restart that made the new key the only one in signing.key).
          const previous = await readAnchor(trx, keys.publicKeys);
          if (previous.status === 'invalid')
            throw new Error(
              `the retention anchor does not verify (${previous.reason}); audit retention stops until \`tameflare audit verify\` passes`,
            );
          const res = await trx.deleteFrom('audit_events').where('id', '<=', last.id).executeTakeFirst();
          const n = Number(res.numDeletedRows);
          const before = previous.status === 'ok' ? previous.anchor.pruned_total : 0;
          await writeAnchor(
            trx,
            {
              id: last.id,
              hash: last.hash,
              pruned_total: before + n,
              pruned_at: opts.now().toISOString(),
            },
            keys.privateKey,
          );
          return n;
        });
      }
      let freedPages = 0;
      let freelist = 0;
      if (opts.incremental()) {
        const before = await freelistCount(db);
        if (before > 0 && pages > 0)
          await sql.raw(`pragma incremental_vacuum(${Math.floor(pages)})`).execute(db);
        freelist = await freelistCount(db);
        freedPages = before - freelist;
      }
      return {
        deleted,
        freedBytes: freedPages * opts.pageSize,
        ms: performance.now() - started,
        exhausted,
        drained: freelist === 0,
      };
    },
  };
}

async function freelistCount(db: Kysely<LocalDatabase>): Promise<number> {
  const r = await sql<{
    freelist_count: number;
  }>`pragma freelist_count`.execute(db);
  return Number(r.rows[0]?.freelist_count ?? 0);
}
