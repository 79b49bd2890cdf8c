// Human passwords: bcrypt (bcryptjs, async so hashing never blocks the event loop for long).
//
// Threat model: a stolen local.db must not give away passwords, so only bcrypt hashes are stored.
// bcrypt reads at most 72 bytes; a longer password is refused rather than silently cut, so two
// passwords that share their first 72 bytes can never both work.
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { AppError } from '../../errors/codes.js';

export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_BYTES = 72;

/** Refuses a password too short or too long for bcrypt, naming the rule. */
export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new AppError('validation_failed', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    throw new AppError('validation_failed', `password must be at most ${MAX_PASSWORD_BYTES} bytes (bcrypt)`);
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  return bcrypt.hash(password, BCRYPT_COST);
}

export async function passwordMatches(password: string, hash: string): Promise<boolean> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
  return bcrypt.compare(password, hash);
}

/** 144 random bits as 24 URL-safe characters: printed once, for a person to store. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
