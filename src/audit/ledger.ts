// The audit ledger: append-only, hash-chained. Each event's hash covers its canonical content and
// the previous event's hash, so editing, deleting or reordering a row breaks the chain at that row.
// The previous hash is stored in prev_hash, except for compact action events (a gateway's per-request
// events, one per proxied request): there prev_hash is NULL and means "the hash of the event before",
// 64 bytes saved per event; the hash covers it all the same, and readers fill it in.
// Callers append inside the transaction that makes the change, so the change and its event commit
// together. Details are stored as canonical JSON: the text hashed is the text stored, built once.
import * as crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { isPostgres } from '../storage/dialect.js';
import type { LocalDatabase } from '../storage/local-schema.js';
import { canonicalJson } from './canonical-json.js';
import { lockAuditChain, recordChainHighWater } from './chain-lock.js';

export interface AuditEventInput {
  type: string; // e.g. 'user.created', 'action.allowed'
  actor: string; // 'user:<email>', 'token:<name>', 'gateway:<name>', 'system'
  subject?: string | undefined;
  details?: Record<string, unknown> | undefined;
  createdAt?: string | undefined; // ISO-8601 UTC; defaults to now
}

export type StoredAuditEvent = Selectable<LocalDatabase['audit_events']>;

type ChainedFields = Pick<StoredAuditEvent, 'event_type' | 'actor' | 'subject' | 'created_at'>;

export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 as hex in one call: `crypto.hash` (Node >= 20.12) makes no Hash object and is about twice
 * as fast as createHash for an event's few hundred bytes; it runs once per event appended.
 */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * The hash of an event: SHA-256 of canonicalJson({actor, created_at, details, event_type, prev_hash,
 * subject}), written out directly (keys in sorted order) around details already in canonical form.
 */
export function chainHash(e: ChainedFields, canonicalDetails: string, prevHash: string): string {
  const content = `{"actor":${JSON.stringify(e.actor)},"created_at":${JSON.stringify(e.created_at)},"details":${canonicalDetails},"event_type":${JSON.stringify(e.event_type)},"prev_hash":${JSON.stringify(prevHash)},"subject":${e.subject === null ? 'null' : JSON.stringify(e.subject)}}`;
  return sha256Hex(content);
}

/** The hash a stored event must have (verification): its details re-canonicalised from their text. */
export function hashEvent(
  e: Pick<StoredAuditEvent, 'event_type' | 'actor' | 'subject' | 'details' | 'created_at'>,
  prevHash: string,
): string {
  return chainHash(e, canonicalJson(JSON.parse(e.details) as unknown), prevHash);
}

export async function appendAuditEvents(
  db: Kysely<LocalDatabase> | Transaction<LocalDatabase>,
  events: AuditEventInput[],
): Promise<void> {
  if (events.length === 0) return;
  // On PostgreSQL the chain is read and extended under a transaction-scoped lock (chain-lock.ts).
  if (isPostgres(db) && !db.isTransaction) {
    await db.transaction().execute((trx) => appendAuditEvents(trx, events));
    return;
  }
  await lockAuditChain(db);
  const last = await db
    .selectFrom('audit_events')
    .select('hash')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  let prev = last?.hash ?? GENESIS_HASH;
  let lastId = 0;
  for (const e of events) {
    const row = {
      event_type: e.type,
      actor: e.actor,
      subject: e.subject ?? null,
      details: canonicalJson(e.details ?? {}),
      created_at: e.createdAt ?? new Date().toISOString(),
    };
    const hash = chainHash(row, row.details, prev);
    const inserted = await db
      .insertInto('audit_events')
      .values({ ...row, prev_hash: prev, hash })
      .returning('id')
      .executeTakeFirstOrThrow();
    lastId = inserted.id;
    prev = hash;
  }
  await recordChainHighWater(db, lastId);
}

export async function appendAuditEvent(
  db: Kysely<LocalDatabase> | Transaction<LocalDatabase>,
  event: AuditEventInput,
): Promise<void> {
  await appendAuditEvents(db, [event]);
}

/**
 * Appending on a hot path (the gateways' action events): statements prepared once on the raw
 * connection. Use only inside a transaction the caller holds on that connection, with no kysely
 * transaction open on it (see gateway-event-store.ts).
 */
export class PreparedLedger {
  readonly #last: Database.Statement;
  readonly #insert: Database.Statement;

  constructor(raw: Database.Database) {
    this.#last = raw.prepare('SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1');
    this.#insert = raw.prepare(
      `INSERT INTO audit_events (event_type, actor, subject, details, created_at, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** The hash the next event chains to. */
  lastHash(): string {
    return (this.#last.get() as { hash: string | null } | undefined)?.hash ?? GENESIS_HASH;
  }

  /**
   * Appends one event whose details are already canonical JSON; returns its hash. With `impliedPrev`
   * (compact action events) its prev_hash is stored as NULL: the hash still covers the previous hash,
   * which verification takes from the event before it.
   */
  append(e: ChainedFields, canonicalDetails: string, prevHash: string, impliedPrev = false): string {
    const hash = chainHash(e, canonicalDetails, prevHash);
    this.#insert.run(
      e.event_type,
      e.actor,
      e.subject,
      canonicalDetails,
      e.created_at,
      impliedPrev ? null : prevHash,
      hash,
    );
    return hash;
  }
}
