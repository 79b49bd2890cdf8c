// Cookie authentication for the /v1 API, and its CSRF defence.
//
// Threat model: a page on another site making the signed-in browser send a request (CSRF), and a
// stolen or planted session id. Controls: the cookie is SameSite=Strict and HttpOnly; every
// cookie-authenticated request other than GET/HEAD must also carry the session's CSRF token in
// X-CSRF-Token, which another origin cannot read (compared in constant time); ids are rotated at
// sign-in and expire when idle and absolutely (./session-store.ts).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { Principal } from '../accounts/account-store.js';
import { readSessionCookie } from './session-cookie.js';
import { resumeSession, type SessionRecord } from './session-store.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const sessions = new WeakMap<FastifyRequest, SessionRecord>();

/** The principal of the request's session cookie, or undefined when it has none that is live. */
export async function authenticateSession(
  db: Kysely<LocalDatabase>,
  req: FastifyRequest,
  now: Date,
): Promise<Principal | undefined> {
  const cookie = readSessionCookie(req.headers.cookie);
  if (!cookie) return undefined;
  const session = await resumeSession(db, cookie, now);
  if (!session) return undefined;
  if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.headers['x-csrf-token'], session.csrfToken)) {
    throw new AppError('csrf_failed', 'this request needs the X-CSRF-Token header of your session');
  }
  sessions.set(req, session);
  return {
    kind: 'session',
    id: session.userId,
    name: session.email,
    role: session.role,
    userId: session.userId,
  };
}

/** The session a request was authenticated with, if it was a cookie session. */
export function sessionOf(req: FastifyRequest): SessionRecord | undefined {
  return sessions.get(req);
}

function csrfMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
