// API tokens (`tf_pat_…`) for scripts and the CLI. The secret is returned once by createApiToken and
// only its SHA-256 is stored; lists show a short prefix so a person can tell tokens apart. Every
// change appends its audit event in the same transaction.

import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Role } from '../accounts/roles.js';
import { generateSecretToken, hashToken } from '../auth/secret-tokens.js';
import type { Db } from '../db.js';

type Database = Kysely<LocalDatabase>;

/** `tf_pat_` and six characters of the secret: 36 bits, enough to tell tokens apart, useless to guess with. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 'tf_pat_'.length + 6);
}

/** `tok_` and hex: safe to type as a command-line argument (a base64url id may start with '-'). */
export function newTokenId(): string {
  return `tok_${randomBytes(8).toString('hex')}`;
}

export interface TokenRow {
  id: string;
  name: string;
  prefix: string | null;
  role: string;
  user_id: string | null;
  user_email: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export async function createApiToken(
  db: Database,
  input: { name: string; role: Role; userId: string | null; expiresAt: string | null },
  ctx: { actor: string; now?: Date | undefined },
): Promise<{ id: string; token: string; prefix: string; created_at: string }> {
  const token = generateSecretToken('tf_pat_');
  const id = newTokenId();
  const prefix = tokenPrefix(token);
  const createdAt = (ctx.now ?? new Date()).toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({
        id,
        name: input.name,
        token_hash: hashToken(token),
        prefix,
        role: input.role,
        user_id: input.userId,
        created_by: ctx.actor,
        created_at: createdAt,
        expires_at: input.expiresAt,
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    await appendAuditEvent(trx, {
      type: 'token.created',
      actor: ctx.actor,
      subject: `token:${input.name}`,
      details: { id, role: input.role, expires_at: input.expiresAt },
      createdAt,
    });
  });
  return { id, token, prefix, created_at: createdAt };
}

/** Tokens newest first; with `userId`, only that person's. */
export async function listApiTokens(
  db: Db,
  filter: { userId?: string | null | undefined },
): Promise<TokenRow[]> {
  let q = db
    .selectFrom('api_tokens')
    .leftJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.prefix',
      'api_tokens.role',
      'api_tokens.user_id',
      'users.email as user_email',
      'api_tokens.created_by',
      'api_tokens.created_at',
      'api_tokens.expires_at',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
    ]);
  if (filter.userId !== undefined) {
    const userId = filter.userId;
    q =
      userId === null
        ? q.where('api_tokens.user_id', 'is', null)
        : q.where('api_tokens.user_id', '=', userId);
  }
  return q.orderBy('api_tokens.created_at', 'desc').orderBy('api_tokens.id').execute();
}

export async function findApiToken(db: Db, id: string): Promise<TokenRow | undefined> {
  return (await listApiTokens(db, {})).find((t) => t.id === id);
}

/** Marks a token revoked (kept for the record); revoking twice is a conflict, not a silent success. */
export async function revokeApiToken(
  db: Database,
  id: string,
  ctx: { actor: string; now: Date },
): Promise<TokenRow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('api_tokens')
      .select(['id', 'name', 'revoked_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no API token ${id}`);
    if (row.revoked_at !== null)
      throw new AppError('conflict', `API token ${id} was already revoked at ${row.revoked_at}`);
    const now = ctx.now.toISOString();
    await trx.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
    await appendAuditEvent(trx, {
      type: 'token.revoked',
      actor: ctx.actor,
      subject: `token:${row.name}`,
      details: { id },
      createdAt: now,
    });
    const updated = await findApiToken(trx, id);
    return updated!;
  });
}
