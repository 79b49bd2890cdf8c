// Users (bcrypt passwords) and API tokens (hashed bearer secrets). Every change appends its audit
// event in the same transaction.
import bcrypt from 'bcryptjs';
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { generateSecretToken, hashToken, randomId } from '../auth/secret-tokens.js';
import { isRole, type Role } from './roles.js';

export const BCRYPT_COST = 12;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export interface Principal {
  kind: 'token' | 'session';
  id: string; // token id or user id
  name: string; // token name or user email
  role: Role;
  userId: string | null;
}

export function actorOf(p: Principal): string {
  return p.kind === 'token' ? `token:${p.name}` : `user:${p.name}`;
}

export async function createUser(
  db: Kysely<LocalDatabase>,
  input: { email: string; password: string; role: Role },
  actor: string,
): Promise<{ id: string }> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new AppError('validation_failed', `not an email address: ${input.email}`);
  if (input.password.length < 12)
    throw new AppError('validation_failed', 'password must be at least 12 characters');
  if (!isRole(input.role)) throw new AppError('validation_failed', `unknown role ${input.role}`);
  const passwordHash = await bcrypt.hash(input.password, BCRYPT_COST);
  const id = randomId();
  const now = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) throw new AppError('conflict', `a user ${email} already exists`);
    await trx
      .insertInto('users')
      .values({ id, email, password_hash: passwordHash, role: input.role, created_at: now, updated_at: now })
      .execute();
    await appendAuditEvent(trx, {
      type: 'user.created',
      actor,
      subject: `user:${email}`,
      details: { role: input.role },
    });
  });
  return { id };
}

export async function countUsers(db: Kysely<LocalDatabase>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function createApiToken(
  db: Kysely<LocalDatabase>,
  input: { name: string; role: Role; userId: string | null; expiresAt: string | null },
  actor: string,
): Promise<{ id: string; token: string }> {
  const token = generateSecretToken('tf_pat_');
  const id = randomId();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({
        id,
        name: input.name,
        token_hash: hashToken(token),
        role: input.role,
        user_id: input.userId,
        created_at: new Date().toISOString(),
        expires_at: input.expiresAt,
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    await appendAuditEvent(trx, {
      type: 'token.created',
      actor,
      subject: `token:${input.name}`,
      details: { id, role: input.role, expires_at: input.expiresAt },
    });
  });
  return { id, token };
}

/** Resolves a bearer API token to its principal, or undefined if unknown, revoked or expired. */
export async function authenticateApiToken(
  db: Kysely<LocalDatabase>,
  token: string,
  now: Date,
): Promise<Principal | undefined> {
  if (!token.startsWith('tf_pat_')) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && row.expires_at <= now.toISOString()) return undefined;
  if (!isRole(row.role)) return undefined;
  return { kind: 'token', id: row.id, name: row.name, role: row.role, userId: row.user_id };
}

export async function userEmail(db: Kysely<LocalDatabase>, userId: string): Promise<string | null> {
  const u = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
  return u?.email ?? null;
}
