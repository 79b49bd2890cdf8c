// Walks the audit chain and names the first event that does not match. After retention pruning the
// chain starts at a signed anchor (the hash of the last pruned event), so what remains still verifies
// and a forged anchor does not.

import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../storage/local-schema.js';
import { type AuditAnchor, readAnchor } from './anchor.js';
import { GENESIS_HASH, hashEvent } from './ledger.js';

export interface ChainVerification {
  ok: boolean;
  checked: number;
  anchor: AuditAnchor | null;
  firstBad?: { id: number; reason: string } | undefined;
}

export async function verifyChain(
  db: Kysely<LocalDatabase>,
  publicKey: KeyObject,
): Promise<ChainVerification> {
  const anchored = await readAnchor(db, publicKey);
  if (anchored.status === 'invalid') {
    return {
      ok: false,
      checked: 0,
      anchor: null,
      firstBad: { id: 0, reason: `the retention anchor is invalid: ${anchored.reason}` },
    };
  }
  const anchor = anchored.status === 'ok' ? anchored.anchor : null;
  let prev = anchor?.hash ?? GENESIS_HASH;
  let checked = 0;
  let lastId = anchor?.id ?? 0;
  // Stream in pages so a large ledger does not have to fit in memory.
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.prev_hash !== prev) {
        return {
          ok: false,
          checked,
          anchor,
          firstBad: { id: row.id, reason: 'its previous-hash link does not match the event before it' },
        };
      }
      const expected = hashEvent(row, prev);
      if (row.hash !== expected) {
        return {
          ok: false,
          checked,
          anchor,
          firstBad: { id: row.id, reason: 'its content does not match its hash' },
        };
      }
      prev = expected;
      lastId = row.id;
      checked++;
    }
  }
  return { ok: true, checked, anchor };
}
