// Dashboard sessions in `sessions` (local.db). The row's id is the SHA-256 of the cookie value, so a
// copy of the database holds no usable session. `expires_at` slides with use (idle expiry) but never
// past `created_at` + the absolute lifetime.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { isRole, type Role } from '../accounts/roles.js';
import { hashToken } from '../auth/secret-tokens.js';
import type { Db } from '../db.js';

export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Sliding the expiry is a write; skip it while the stored expiry is this fresh. */
const SLIDE_STEP_MS = 60 * 1000;

export interface SessionRecord {
  id: string;
  userId: string;
  email: string;
  role: Role;
  csrfToken: string;
  expiresAt: string;
}

export interface LoginUser {
  id: string;
  email: string;
  role: Role;
  passwordHash: string;
}

export async function findLoginUser(db: Db, email: string): Promise<LoginUser | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst();
  if (!row || !isRole(row.role)) return undefined;
  return { id: row.id, email: row.email, role: row.role, passwordHash: row.password_hash };
}

/**
 * A new session for a signed-in user, replacing the one the browser presented (if any), so an id
 * planted before sign-in is worthless after it. Records the login in the audit ledger.
 */
export async function startSession(
  db: Kysely<LocalDatabase>,
  user: LoginUser,
  previousCookie: string | undefined,
  meta: { ip: string },
  now: Date,
): Promise<{ cookie: string; csrfToken: string; expiresAt: string }> {
  const cookie = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + Math.min(SESSION_IDLE_MS, SESSION_ABSOLUTE_MS)).toISOString();
  await db.transaction().execute(async (trx) => {
    if (previousCookie)
      await trx.deleteFrom('sessions').where('id', '=', hashToken(previousCookie)).execute();
    await trx
      .insertInto('sessions')
      .values({
        id: hashToken(cookie),
        user_id: user.id,
        csrf_token: csrfToken,
        created_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    await appendAuditEvent(trx, {
      type: 'user.login',
      actor: `user:${user.email}`,
      subject: `user:${user.email}`,
      details: { ip: meta.ip },
    });
  });
  return { cookie, csrfToken, expiresAt };
}

/** The live session of a cookie, its expiry slid forward; undefined when unknown or expired. */
export async function resumeSession(db: Db, cookie: string, now: Date): Promise<SessionRecord | undefined> {
  const id = hashToken(cookie);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as id',
      'sessions.user_id as user_id',
      'sessions.csrf_token as csrf_token',
      'sessions.created_at as created_at',
      'sessions.expires_at as expires_at',
      'users.email as email',
      'users.role as role',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row || !isRole(row.role)) return undefined;
  const t = now.getTime();
  const absoluteEnd = Date.parse(row.created_at) + SESSION_ABSOLUTE_MS;
  if (!(Date.parse(row.expires_at) > t) || !(absoluteEnd > t)) {
    await db.deleteFrom('sessions').where('id', '=', id).execute();
    return undefined;
  }
  let expiresAt = row.expires_at;
  const slid = Math.min(t + SESSION_IDLE_MS, absoluteEnd);
  if (slid - Date.parse(row.expires_at) > SLIDE_STEP_MS) {
    expiresAt = new Date(slid).toISOString();
    await db.updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
  }
  return {
    id,
    userId: row.user_id,
    email: row.email,
    role: row.role,
    csrfToken: row.csrf_token,
    expiresAt,
  };
}

export async function endSession(db: Kysely<LocalDatabase>, sessionId: string, email: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('id', '=', sessionId).execute();
    await appendAuditEvent(trx, { type: 'user.logout', actor: `user:${email}`, subject: `user:${email}` });
  });
}
