// Bearer secrets (API tokens, agent keys, session keys): 256 random bits, shown once, stored as a
// SHA-256 hash. A fast hash is enough for secrets this long; bcrypt is kept for human passwords.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenPrefix = 'tf_pat_' | 'tf_agent_' | 'tf_sess_';

export function generateSecretToken(prefix: TokenPrefix): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && ba.length > 0 && timingSafeEqual(ba, bb);
}

export function randomId(): string {
  return randomBytes(12).toString('base64url');
}
