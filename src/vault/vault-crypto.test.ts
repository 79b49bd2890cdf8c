import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  assertMasterKeyMatches,
  decryptCredential,
  encryptCredential,
  generateMasterKey,
  masterKeyCheck,
  parseMasterKey,
  type SealedCredential,
  VaultError,
} from './vault-crypto.js';

const key = randomBytes(32);
const secret = 'ghp_plantedSecretValue0123456789';

function expectDecryptFailure(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe('VAULT_DECRYPT_FAILED');
  expect((caught as VaultError).message).not.toContain(secret);
}

function flipped(buf: Buffer, index = 0): Buffer {
  const copy = Buffer.from(buf);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe('encryptCredential / decryptCredential', () => {
  it('round-trips, including non-ASCII and empty values', () => {
    for (const value of [secret, 'pässwörd ✓', '']) {
      expect(decryptCredential(key, 'cred_1', encryptCredential(key, 'cred_1', value))).toBe(value);
    }
  });

  it('uses a fresh 12-byte IV and a 16-byte tag per record', () => {
    const a = encryptCredential(key, 'cred_1', secret);
    const b = encryptCredential(key, 'cred_1', secret);
    expect(a.iv).toHaveLength(12);
    expect(a.tag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.ciphertext.includes(Buffer.from(secret))).toBe(false);
  });

  const sealed = encryptCredential(key, 'cred_1', secret);
  const cases: Array<[string, () => unknown]> = [
    ['a wrong key', () => decryptCredential(randomBytes(32), 'cred_1', sealed)],
    ['a wrong record id (ciphertext moved to another row)', () => decryptCredential(key, 'cred_2', sealed)],
    [
      'a flipped ciphertext bit',
      () => decryptCredential(key, 'cred_1', { ...sealed, ciphertext: flipped(sealed.ciphertext, 3) }),
    ],
    [
      'a flipped tag bit',
      () => decryptCredential(key, 'cred_1', { ...sealed, tag: flipped(sealed.tag, 15) }),
    ],
    ['a flipped IV bit', () => decryptCredential(key, 'cred_1', { ...sealed, iv: flipped(sealed.iv) })],
    [
      'a truncated tag',
      () => decryptCredential(key, 'cred_1', { ...sealed, tag: sealed.tag.subarray(0, 4) }),
    ],
    ['a short IV', () => decryptCredential(key, 'cred_1', { ...sealed, iv: sealed.iv.subarray(0, 8) })],
    [
      'a truncated ciphertext',
      () => decryptCredential(key, 'cred_1', { ...sealed, ciphertext: sealed.ciphertext.subarray(1) }),
    ],
    ['an empty record', () => decryptCredential(key, 'cred_1', emptySealed())],
  ];
  it.each(cases)('refuses %s with VAULT_DECRYPT_FAILED', (_name, fn) => expectDecryptFailure(fn));

  it('refuses keys that are not 32 bytes', () => {
    expect(() => encryptCredential(randomBytes(16), 'x', 'y')).toThrow(/32 bytes/);
  });
});

function emptySealed(): SealedCredential {
  return { iv: Buffer.alloc(12), ciphertext: Buffer.alloc(0), tag: Buffer.alloc(16) };
}

describe('parseMasterKey', () => {
  it('accepts base64 of 32 bytes with surrounding whitespace', () => {
    const text = generateMasterKey();
    expect(parseMasterKey(`  ${text}\n`, 'master.key').equals(Buffer.from(text, 'base64'))).toBe(true);
  });

  const bad = [
    '',
    '   ',
    'not base64!',
    randomBytes(16).toString('base64'),
    randomBytes(33).toString('base64'),
    'QUJD',
  ];
  it.each(bad)('rejects %j naming the source without echoing the value', (value) => {
    let caught: unknown;
    try {
      parseMasterKey(value, 'TAMEFLARE_MASTER_KEY');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VaultError);
    expect((caught as VaultError).code).toBe('VAULT_KEY_INVALID');
    expect((caught as VaultError).message).toContain('TAMEFLARE_MASTER_KEY');
    if (value.trim()) expect((caught as VaultError).message).not.toContain(value.trim());
  });

  it('rejects a non-canonical spelling of a valid key', () => {
    const text = generateMasterKey();
    // The last base64 character carries 2 unused bits for 32 bytes; setting one keeps the length.
    const last = text.at(-2)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const altered = text.slice(0, -2) + alphabet[alphabet.indexOf(last) ^ 1] + '=';
    expect(() => parseMasterKey(altered, 'master.key')).toThrow(/master\.key/);
  });
});

describe('masterKeyCheck', () => {
  it('is stable for a key, differs between keys, and reveals no key bytes', () => {
    const check = masterKeyCheck(key);
    expect(check).toMatch(/^[0-9a-f]{16}$/);
    expect(masterKeyCheck(Buffer.from(key))).toBe(check);
    expect(masterKeyCheck(randomBytes(32))).not.toBe(check);
    expect(key.toString('hex')).not.toContain(check);
  });

  it('assertMasterKeyMatches passes the right key and names the source for a wrong one', () => {
    const check = masterKeyCheck(key);
    expect(() => assertMasterKeyMatches(key, check, 'master.key')).not.toThrow();
    expect(() => assertMasterKeyMatches(randomBytes(32), check, '/data/master.key')).toThrow(
      expect.objectContaining({
        code: 'VAULT_KEY_MISMATCH',
        message: expect.stringContaining('/data/master.key'),
      }),
    );
    expect(() => assertMasterKeyMatches(key, 'short', 'x')).toThrow(VaultError);
  });
});
