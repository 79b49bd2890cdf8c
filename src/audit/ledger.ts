// The audit ledger: append-only, hash-chained. Each event's hash covers its canonical content and
// the previous event's hash, so editing, deleting or reordering a row breaks the chain at that row.
// Callers append inside the transaction that makes the change, so the change and its event commit
// together.
import { createHash } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { LocalDatabase } from '../storage/local-schema.js';
import { canonicalJson } from './canonical-json.js';

export interface AuditEventInput {
  type: string; // e.g. 'user.created', 'action.allowed'
  actor: string; // 'user:<email>', 'token:<name>', 'gateway:<name>', 'system'
  subject?: string | undefined;
  details?: Record<string, unknown> | undefined;
  createdAt?: string | undefined; // ISO-8601 UTC; defaults to now
}

export type StoredAuditEvent = Selectable<LocalDatabase['audit_events']>;

export const GENESIS_HASH = '0'.repeat(64);

export function hashEvent(
  e: Pick<StoredAuditEvent, 'event_type' | 'actor' | 'subject' | 'details' | 'created_at'>,
  prevHash: string,
): string {
  const content = canonicalJson({
    actor: e.actor,
    created_at: e.created_at,
    details: JSON.parse(e.details) as unknown,
    event_type: e.event_type,
    prev_hash: prevHash,
    subject: e.subject,
  });
  return createHash('sha256').update(content).digest('hex');
}

export async function appendAuditEvents(
  db: Kysely<LocalDatabase> | Transaction<LocalDatabase>,
  events: AuditEventInput[],
): Promise<void> {
  if (events.length === 0) return;
  const last = await db
    .selectFrom('audit_events')
    .select('hash')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  let prev = last?.hash ?? GENESIS_HASH;
  for (const e of events) {
    const row = {
      event_type: e.type,
      actor: e.actor,
      subject: e.subject ?? null,
      details: JSON.stringify(e.details ?? {}),
      created_at: e.createdAt ?? new Date().toISOString(),
    };
    const hash = hashEvent(row, prev);
    await db
      .insertInto('audit_events')
      .values({ ...row, prev_hash: prev, hash })
      .execute();
    prev = hash;
  }
}

export async function appendAuditEvent(
  db: Kysely<LocalDatabase> | Transaction<LocalDatabase>,
  event: AuditEventInput,
): Promise<void> {
  await appendAuditEvents(db, [event]);
}
