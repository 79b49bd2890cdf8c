// The dashboard's session cookie, read and written by hand (one cookie does not need a plugin).
// HttpOnly keeps it from scripts, SameSite=Strict from cross-site requests, Secure when the browser
// reached us over TLS (directly or through a proxy that says so with X-Forwarded-Proto).
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'tf_session';

/** The session cookie's value, if the request carries exactly a well-formed one. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/**
 * Over plain HTTP a Secure cookie would never come back, so it is set only when the browser used
 * HTTPS. Believing a client's X-Forwarded-Proto can only make the cookie stricter, never weaker.
 */
export function cameOverTls(req: FastifyRequest): boolean {
  if (req.protocol === 'https') return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
