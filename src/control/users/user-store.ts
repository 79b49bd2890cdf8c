// People who sign in: email, bcrypt hash, role. Every change appends its audit event in the same
// transaction, and the last owner can never be removed or demoted (checked inside that transaction,
// so two owners demoting each other at once cannot leave none).
//
// Threat model: passwords reach this file already hashed (./passwords is the only place that sees
// them); an account's removal or password change also ends its dashboard sessions and, for removal,
// its API tokens, so a departed person keeps no way in.
import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../../audit/ledger.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Role } from '../accounts/roles.js';
import { randomId } from '../auth/secret-tokens.js';
import type { Db } from '../db.js';

type Database = Kysely<LocalDatabase>;

export interface UserRow {
  id: string;
  email: string;
  role: string;
  created_at: string;
  updated_at: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Emails are compared lower-case and trimmed: `Ann@X.org` and `ann@x.org` are one person. */
export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email))
    throw new AppError('validation_failed', `not an email address: ${raw}`);
  return email;
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'created_at', 'updated_at'])
    .orderBy('email')
    .execute();
}

export async function findUser(
  db: Db,
  email: string,
): Promise<(UserRow & { password_hash: string }) | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
}

export async function findUserById(
  db: Db,
  id: string,
): Promise<(UserRow & { password_hash: string }) | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function createUser(
  db: Database,
  input: { email: string; passwordHash: string; role: Role },
  ctx: { actor: string; now: Date },
): Promise<UserRow> {
  const email = normaliseEmail(input.email);
  const now = ctx.now.toISOString();
  const row = { id: randomId(), email, role: input.role, created_at: now, updated_at: now };
  await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) throw new AppError('conflict', `a user ${email} already exists`);
    await trx
      .insertInto('users')
      .values({ ...row, password_hash: input.passwordHash })
      .execute();
    await appendAuditEvent(trx, {
      type: 'user.created',
      actor: ctx.actor,
      subject: `user:${email}`,
      details: { role: input.role },
      createdAt: now,
    });
  });
  return row;
}

async function requireUser(db: Db, email: string): Promise<UserRow> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'created_at', 'updated_at'])
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `no user ${email}`);
  return row;
}

async function refuseLastOwner(db: Db, user: UserRow, doing: string): Promise<void> {
  if (user.role !== 'owner') return;
  const owners = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  if (Number(owners.n) <= 1)
    throw new AppError(
      'conflict',
      `${user.email} is the last owner and cannot be ${doing}; make another owner first`,
      {
        reason: 'last_owner',
      },
    );
}

/** Removes a user with their sessions and API tokens. */
export async function removeUser(
  db: Database,
  email: string,
  ctx: { actor: string; now: Date },
): Promise<{ tokens_removed: number }> {
  return db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, email);
    await refuseLastOwner(trx, user, 'removed');
    const tokens = await trx.deleteFrom('api_tokens').where('user_id', '=', user.id).executeTakeFirst();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('users').where('id', '=', user.id).execute();
    const removed = Number(tokens.numDeletedRows);
    await appendAuditEvent(trx, {
      type: 'user.removed',
      actor: ctx.actor,
      subject: `user:${user.email}`,
      details: { role: user.role, tokens_removed: removed },
      createdAt: ctx.now.toISOString(),
    });
    return { tokens_removed: removed };
  });
}

/** Changes a role. API tokens the user made are bounded by it when they are used (account-store). */
export async function setUserRole(
  db: Database,
  email: string,
  role: Role,
  ctx: { actor: string; now: Date },
): Promise<UserRow> {
  return db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, email);
    if (user.role === role) return user;
    if (role !== 'owner') await refuseLastOwner(trx, user, 'demoted');
    const now = ctx.now.toISOString();
    await trx.updateTable('users').set({ role, updated_at: now }).where('id', '=', user.id).execute();
    await appendAuditEvent(trx, {
      type: 'user.role_changed',
      actor: ctx.actor,
      subject: `user:${user.email}`,
      details: { from: user.role, to: role },
      createdAt: now,
    });
    return { ...user, role, updated_at: now };
  });
}

/** Replaces a password hash and ends the user's dashboard sessions (a password change signs out). */
export async function setUserPassword(
  db: Database,
  email: string,
  passwordHash: string,
  ctx: { actor: string; now: Date },
): Promise<UserRow> {
  return db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, email);
    const now = ctx.now.toISOString();
    await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', user.id)
      .execute();
    const sessions = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
    await appendAuditEvent(trx, {
      type: 'user.password_changed',
      actor: ctx.actor,
      subject: `user:${user.email}`,
      details: { sessions_ended: Number(sessions.numDeletedRows) },
      createdAt: now,
    });
    return { ...user, updated_at: now };
  });
}
