// Threat model: the vault keeps upstream credentials (API tokens the agents must never see) safe from
// someone who obtains gateway.db without the master key: a backup, a copied file, a read-only SQL hole.
// Controls:
// - AES-256-GCM gives confidentiality and integrity; a modified byte fails decryption and is reported
//   as VAULT_DECRYPT_FAILED, never returned as garbage. The tag length is pinned to 16 bytes, because
//   Node otherwise accepts a truncated tag, which weakens the integrity check.
// - A fresh random 12-byte IV per encryption: GCM fails catastrophically if an IV repeats under one key;
//   random 96-bit IVs stay safe far beyond the number of writes a credential store sees.
// - The record id is the associated data, so a ciphertext copied onto another row (making connector A
//   send connector B's token) does not decrypt.
// - A key-check value, stored next to the records, turns a wrong master key into a clear start-up error
//   instead of a failure on the first proxied request; it is an HMAC, so it reveals nothing of the key.
// Out of scope: an attacker who can read the process memory or the master key itself.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_CHECK_LABEL = 'tameflare vault key check v1';

export type VaultErrorCode = 'VAULT_DECRYPT_FAILED' | 'VAULT_KEY_INVALID' | 'VAULT_KEY_MISMATCH';

export class VaultError extends Error {
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string) {
    super(message);
    this.name = 'VaultError';
    this.code = code;
  }
}

export interface SealedCredential {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export function encryptCredential(key: Buffer, recordId: string, plaintext: string): SealedCredential {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(recordId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Throws VaultError VAULT_DECRYPT_FAILED on a wrong key, a wrong record id or any tampering. */
export function decryptCredential(key: Buffer, recordId: string, sealed: SealedCredential): string {
  assertKey(key);
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) {
    throw decryptFailed(recordId);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(recordId, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw decryptFailed(recordId);
  }
}

/**
 * Parses a master key given as base64 of exactly 32 bytes. `source` names where it came from
 * (`TAMEFLARE_MASTER_KEY`, a file path) for the error message, which never contains the value.
 */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const hint = 'expected the base64 encoding of exactly 32 bytes (create one with `openssl rand -base64 32`)';
  if (trimmed.length === 0)
    throw new VaultError('VAULT_KEY_INVALID', `master key from ${source} is empty: ${hint}`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new VaultError('VAULT_KEY_INVALID', `master key from ${source} is not valid base64: ${hint}`);
  }
  const key = Buffer.from(trimmed, 'base64');
  // The round trip rejects non-canonical encodings, so one key has exactly one accepted spelling.
  if (key.length !== KEY_BYTES || key.toString('base64') !== trimmed) {
    throw new VaultError(
      'VAULT_KEY_INVALID',
      `master key from ${source} decodes to ${key.length} bytes: ${hint}`,
    );
  }
  return key;
}

export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** A short value derived from the key (16 hex characters), stored to recognise the right key later. */
export function masterKeyCheck(key: Buffer): string {
  assertKey(key);
  return createHmac('sha256', key).update(KEY_CHECK_LABEL).digest('hex').slice(0, 16);
}

/** Throws VaultError VAULT_KEY_MISMATCH when `key` is not the key that produced `storedCheck`. */
export function assertMasterKeyMatches(key: Buffer, storedCheck: string, source: string): void {
  const actual = Buffer.from(masterKeyCheck(key));
  const expected = Buffer.from(storedCheck);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new VaultError(
      'VAULT_KEY_MISMATCH',
      `master key from ${source} is not the key this vault was created with; stored credentials cannot be decrypted`,
    );
  }
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new VaultError('VAULT_KEY_INVALID', `vault key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
}

function decryptFailed(recordId: string): VaultError {
  return new VaultError(
    'VAULT_DECRYPT_FAILED',
    `credential ${JSON.stringify(recordId)} could not be decrypted: wrong master key or tampered record`,
  );
}
