// Policies and their history. The `policies` row holds the current document; every change (created,
// updated, enabled, disabled, rollback, deleted) adds a `policy_versions` row and an audit event in
// the caller's transaction, so history, ledger and live state cannot disagree. Version numbers keep
// counting across a delete and re-create: a name's history is one line.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { canonicalJson } from '../../audit/canonical-json.js';
import { appendAuditEvent } from '../../audit/ledger.js';
import type { PolicyDocument } from '../../decide/policy-types.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Db } from '../db.js';
import { bumpAllConfigVersions } from '../gateways/gateway-store.js';

export type PolicyChange = 'created' | 'updated' | 'enabled' | 'disabled' | 'rollback' | 'deleted';

export interface PolicyRecord {
  name: string;
  version: number;
  enabled: boolean;
  document: PolicyDocument;
  updated_at: string;
}

export interface PolicyVersion {
  version: number;
  change: PolicyChange;
  actor: string;
  created_at: string;
  document: PolicyDocument;
}

/** Who changes and when; `trx` must be a transaction so the row, the version and the event commit together. */
export interface PolicyWriteContext {
  actor: string;
  now: Date;
}

export function policyDigest(doc: PolicyDocument): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

export function samePolicy(a: PolicyDocument, b: PolicyDocument): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export async function loadPolicy(db: Db, name: string): Promise<PolicyRecord | undefined> {
  const row = await db.selectFrom('policies').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toRecord(row);
}

export async function requirePolicy(db: Db, name: string): Promise<PolicyRecord> {
  const found = await loadPolicy(db, name);
  if (!found) throw new AppError('not_found', `no policy named ${name}`);
  return found;
}

export async function listPolicies(db: Db): Promise<PolicyRecord[]> {
  return (await db.selectFrom('policies').selectAll().orderBy('name').execute()).map(toRecord);
}

/** Every version of a name, newest first (also after the policy was deleted). */
export async function policyHistory(db: Db, name: string): Promise<PolicyVersion[]> {
  const rows = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('name', '=', name)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => ({
    version: r.version,
    change: r.change as PolicyChange,
    actor: r.actor,
    created_at: r.created_at,
    document: JSON.parse(r.document) as PolicyDocument,
  }));
}

/** The current version number of a policy, or null when there is none (never created, or deleted). */
export async function currentPolicyVersion(db: Db, name: string): Promise<number | null> {
  const row = await db.selectFrom('policies').select('version').where('name', '=', name).executeTakeFirst();
  return row?.version ?? null;
}

/**
 * Runs policy changes in one transaction. Policies apply to every gateway, so when `work` changed
 * something every configuration version is bumped; the ids to notify after commit are returned.
 */
export async function changePolicies<T extends { changed: boolean }>(
  db: Kysely<LocalDatabase>,
  work: (trx: Db, ctx: PolicyWriteContext) => Promise<T>,
  ctx: PolicyWriteContext,
): Promise<{ result: T; gatewayIds: string[] }> {
  return db.transaction().execute(async (trx) => {
    const result = await work(trx, ctx);
    return { result, gatewayIds: result.changed ? await bumpAllConfigVersions(trx) : [] };
  });
}

export type SaveOutcome = { change: 'created' | 'updated' | 'unchanged'; record: PolicyRecord };

/** Creates or replaces a validated document. An identical document is a no-op: no version, no event. */
export async function savePolicy(
  trx: Db,
  doc: PolicyDocument,
  ctx: PolicyWriteContext,
): Promise<SaveOutcome> {
  const current = await loadPolicy(trx, doc.name);
  if (current && samePolicy(current.document, doc)) return { change: 'unchanged', record: current };
  const change = current ? 'updated' : 'created';
  return { change, record: await writeVersion(trx, doc, change, ctx) };
}

/** Flips `enabled` in the document; false when it already had that value. */
export async function setPolicyEnabled(
  trx: Db,
  name: string,
  enabled: boolean,
  ctx: PolicyWriteContext,
): Promise<{ changed: boolean; record: PolicyRecord }> {
  const current = await requirePolicy(trx, name);
  if (current.enabled === enabled) return { changed: false, record: current };
  const doc = { ...current.document, enabled };
  return { changed: true, record: await writeVersion(trx, doc, enabled ? 'enabled' : 'disabled', ctx) };
}

/**
 * Makes `version`'s document current again, as a new version. Works on a deleted policy too, which
 * restores it. False when the current document already equals it.
 */
export async function rollbackPolicy(
  trx: Db,
  name: string,
  version: number,
  ctx: PolicyWriteContext,
): Promise<{ changed: boolean; record: PolicyRecord }> {
  const target = await trx
    .selectFrom('policy_versions')
    .select('document')
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!target) throw new AppError('not_found', `policy ${name} has no version ${version}`);
  const doc = JSON.parse(target.document) as PolicyDocument;
  const current = await loadPolicy(trx, name);
  if (current && samePolicy(current.document, doc)) return { changed: false, record: current };
  return {
    changed: true,
    record: await writeVersion(trx, doc, 'rollback', ctx, { rolled_back_to: version }),
  };
}

/** Removes the policy; its history stays, ending in a `deleted` version that keeps the last document. */
export async function deletePolicy(trx: Db, name: string, ctx: PolicyWriteContext): Promise<number> {
  const current = await requirePolicy(trx, name);
  const version = await nextVersion(trx, name);
  await trx.deleteFrom('policies').where('name', '=', name).execute();
  await trx
    .insertInto('policy_versions')
    .values({
      name,
      version,
      document: JSON.stringify(current.document),
      change: 'deleted',
      actor: ctx.actor,
      created_at: ctx.now.toISOString(),
    })
    .execute();
  await appendAuditEvent(trx, {
    type: 'policy.deleted',
    actor: ctx.actor,
    subject: `policy:${name}`,
    details: { version, previous_version: current.version },
  });
  return version;
}

async function writeVersion(
  trx: Db,
  doc: PolicyDocument,
  change: Exclude<PolicyChange, 'deleted'>,
  ctx: PolicyWriteContext,
  extra: Record<string, unknown> = {},
): Promise<PolicyRecord> {
  const version = await nextVersion(trx, doc.name);
  const at = ctx.now.toISOString();
  const json = JSON.stringify(doc);
  const row = { name: doc.name, version, enabled: doc.enabled ? 1 : 0, document: json, updated_at: at };
  await trx
    .insertInto('policies')
    .values(row)
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ version, enabled: row.enabled, document: json, updated_at: at }),
    )
    .execute();
  await trx
    .insertInto('policy_versions')
    .values({ name: doc.name, version, document: json, change, actor: ctx.actor, created_at: at })
    .execute();
  await appendAuditEvent(trx, {
    type: `policy.${change === 'rollback' ? 'rolled_back' : change}`,
    actor: ctx.actor,
    subject: `policy:${doc.name}`,
    details: { version, enabled: doc.enabled, digest: policyDigest(doc), ...extra },
  });
  return toRecord(row);
}

async function nextVersion(db: Db, name: string): Promise<number> {
  const row = await db
    .selectFrom('policy_versions')
    .select((eb) => eb.fn.max('version').as('max'))
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}

function toRecord(row: {
  name: string;
  version: number;
  enabled: number;
  document: string;
  updated_at: string;
}): PolicyRecord {
  return {
    name: row.name,
    version: row.version,
    enabled: row.enabled === 1,
    document: JSON.parse(row.document) as PolicyDocument,
    updated_at: row.updated_at,
  };
}
