// Who a bearer API token is. A token acts with its own role, bounded by its person's current role:
// demoting someone also lowers every token they made, at once, without rewriting the tokens.
//
// Threat model: a token is looked up by the SHA-256 of the secret (never the secret itself), and a
// revoked, expired, unknown-role or orphaned token is simply not a principal.
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { hashToken } from '../auth/secret-tokens.js';
import { isRole, ROLES, type Role } from './roles.js';

export interface Principal {
  kind: 'token' | 'session';
  id: string; // token id or session id
  name: string; // token name or user email
  role: Role;
  userId: string | null;
}

export function actorOf(p: Principal): string {
  return p.kind === 'token' ? `token:${p.name}` : `user:${p.name}`;
}

/** `last_used_at` is written at most this often per token, so reads stay reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Resolves a bearer API token to its principal, or undefined if unknown, revoked or expired. */
export async function authenticateApiToken(
  db: Kysely<LocalDatabase>,
  token: string,
  now: Date,
): Promise<Principal | undefined> {
  if (!token.startsWith('tf_pat_')) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .leftJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.role',
      'api_tokens.user_id',
      'api_tokens.expires_at',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'users.role as user_role',
    ])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && row.expires_at <= now.toISOString()) return undefined;
  if (!isRole(row.role)) return undefined;
  let role: Role = row.role;
  if (row.user_id !== null) {
    if (!isRole(row.user_role)) return undefined; // its person is gone or has no valid role
    if (ROLES.indexOf(row.user_role) < ROLES.indexOf(role)) role = row.user_role;
  }
  if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute();
  }
  return { kind: 'token', id: row.id, name: row.name, role, userId: row.user_id };
}

export async function userEmail(db: Kysely<LocalDatabase>, userId: string): Promise<string | null> {
  const u = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
  return u?.email ?? null;
}
