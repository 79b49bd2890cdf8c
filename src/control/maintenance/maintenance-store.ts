// Retention (the seed's maintenance job): audit events older than AUDIT_RETENTION_DAYS, expired
// sessions, and used nonces older than 24 hours. Audit events go as a contiguous prefix of the chain,
// with a signed anchor written in the same transaction.
import type { KeyObject } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { readAnchor, writeAnchor } from '../../audit/anchor.js';
import { appendAuditEvent } from '../../audit/ledger.js';
import type { LocalDatabase } from '../../storage/local-schema.js';

export interface CleanupResult {
  audit_events_deleted: number;
  sessions_deleted: number;
  nonces_deleted: number;
  retention_days: number;
  audit_cutoff: string | null;
}

export async function runCleanup(
  db: Kysely<LocalDatabase>,
  opts: { retentionDays: number; now: Date; privateKey: KeyObject; publicKeys: KeyObject[] },
): Promise<CleanupResult> {
  const nowIso = opts.now.toISOString();
  const nonceCutoff = new Date(opts.now.getTime() - 24 * 3_600_000).toISOString();
  const auditCutoff =
    opts.retentionDays > 0
      ? new Date(opts.now.getTime() - opts.retentionDays * 86_400_000).toISOString()
      : null;
  return db.transaction().execute(async (trx) => {
    let auditDeleted = 0;
    if (auditCutoff) {
      const last = await trx
        .selectFrom('audit_events')
        .select(['id', 'hash'])
        .where('created_at', '<', auditCutoff)
        // The newest event stays: the cleanup event below chains to it (an empty ledger would restart at genesis).
        .where('id', '<', sql<number>`(select max(id) from audit_events)`)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last?.hash) {
        const res = await trx.deleteFrom('audit_events').where('id', '<=', last.id).executeTakeFirst();
        auditDeleted = Number(res.numDeletedRows);
        const previous = await readAnchor(trx, opts.publicKeys);
        const before = previous.status === 'ok' ? previous.anchor.pruned_total : 0;
        await writeAnchor(
          trx,
          { id: last.id, hash: last.hash, pruned_total: before + auditDeleted, pruned_at: nowIso },
          opts.privateKey,
        );
      }
    }
    const sessions = await trx.deleteFrom('sessions').where('expires_at', '<=', nowIso).executeTakeFirst();
    const nonces = await trx.deleteFrom('used_nonces').where('used_at', '<', nonceCutoff).executeTakeFirst();
    const result: CleanupResult = {
      audit_events_deleted: auditDeleted,
      sessions_deleted: Number(sessions.numDeletedRows),
      nonces_deleted: Number(nonces.numDeletedRows),
      retention_days: opts.retentionDays,
      audit_cutoff: auditCutoff,
    };
    await appendAuditEvent(trx, {
      type: 'maintenance.cleanup',
      actor: 'maintenance',
      details: { ...result },
    });
    return result;
  });
}
