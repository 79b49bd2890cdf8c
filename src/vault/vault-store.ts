// Threat model: upstream credentials live only here, encrypted at rest (AES-256-GCM, record id as
// associated data, see src/vault/vault-crypto.ts). An attacker with a copy of gateway.db but not the
// master key learns nothing but the connector names and the last four characters. In memory each
// credential is a `Secret`, which prints `[redacted]` wherever it lands by accident. A wrong master
// key must stop the gateway with a clear error: silently forwarding requests without the credential
// (or with garbage) would hide the fault and leak the agent's dummy token upstream.
// Out of scope: an attacker who can read this process's memory or the master key file.

import { timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { Secret } from '../config/secret.js';
import { decryptCredential, encryptCredential, masterKeyCheck, VaultError } from './vault-crypto.js';

const KEY_CHECK = 'vault_key_check';

export const WRONG_MASTER_KEY_MESSAGE =
  'the master key does not match the one this gateway.db was created with; stored credentials cannot be decrypted (restore the original master.key or TAMEFLARE_MASTER_KEY)';

export interface VaultCredentialInfo {
  connector: string;
  set: boolean;
  last4: string | null;
  updated_at: string;
}

interface VaultRow {
  connector: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  last4: string | null;
  updated_at: string;
}

/** A record that exists but failed to decrypt: the connector is refused rather than sent bare. */
export class VaultRecordUnreadable extends Error {
  constructor(readonly connector: string) {
    super(
      `the stored credential for connector ${JSON.stringify(connector)} cannot be decrypted; set it again`,
    );
    this.name = 'VaultRecordUnreadable';
  }
}

export class VaultStore {
  readonly #raw: Database.Database;
  readonly #key: Buffer;
  readonly #now: () => Date;
  readonly #persist: (sql: string, params: unknown[]) => void;
  readonly #secrets = new Map<string, Secret | VaultRecordUnreadable>();
  readonly #info = new Map<string, VaultCredentialInfo>();
  #opened = false;

  /**
   * `persist` runs the vault's writes after start-up; the gateway passes its writer thread's, so a
   * lock on gateway.db never stalls the event loop (the change is in effect in memory at once).
   */
  constructor(
    raw: Database.Database,
    masterKey: Buffer,
    now: () => Date = () => new Date(),
    persist?: (sql: string, params: unknown[]) => void,
  ) {
    this.#raw = raw;
    this.#key = masterKey;
    this.#now = now;
    this.#persist = persist ?? ((sql, params) => void raw.prepare(sql).run(...params));
  }

  /** Verifies the master key against gateway.db and loads every credential. Idempotent. */
  open(): void {
    if (this.#opened) return;
    const expected = masterKeyCheck(this.#key);
    const stored = this.#raw.prepare('SELECT value FROM gateway_meta WHERE key = ?').get(KEY_CHECK) as
      | { value: string }
      | undefined;
    const rows = this.#raw.prepare('SELECT * FROM vault_credentials ORDER BY connector').all() as VaultRow[];
    if (stored) {
      if (!sameText(stored.value, expected))
        throw new VaultError('VAULT_KEY_MISMATCH', WRONG_MASTER_KEY_MESSAGE);
    } else {
      // First use (or a database from before key checks): records that exist must open with this key.
      const first = rows[0];
      if (first) this.#decrypt(first, true);
      this.#raw
        .prepare('INSERT INTO gateway_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING')
        .run(KEY_CHECK, expected);
    }
    for (const row of rows) {
      this.#info.set(row.connector, {
        connector: row.connector,
        set: true,
        last4: row.last4,
        updated_at: row.updated_at,
      });
      this.#secrets.set(row.connector, this.#decrypt(row, false));
    }
    this.#opened = true;
  }

  set(connector: string, secret: Secret): void {
    this.open();
    const sealed = encryptCredential(this.#key, connector, secret.reveal());
    const last4 = secret.lastFour() || null;
    const updatedAt = this.#now().toISOString();
    this.#persist(
      `INSERT INTO vault_credentials (connector, iv, ciphertext, tag, last4, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (connector) DO UPDATE SET iv = excluded.iv, ciphertext = excluded.ciphertext,
           tag = excluded.tag, last4 = excluded.last4, updated_at = excluded.updated_at`,
      [connector, sealed.iv, sealed.ciphertext, sealed.tag, last4, updatedAt],
    );
    this.#secrets.set(connector, secret);
    this.#info.set(connector, { connector, set: true, last4, updated_at: updatedAt });
  }

  delete(connector: string): void {
    this.open();
    this.#persist('DELETE FROM vault_credentials WHERE connector = ?', [connector]);
    this.#secrets.delete(connector);
    this.#info.delete(connector);
  }

  has(connector: string): boolean {
    this.open();
    return this.#secrets.has(connector);
  }

  lastFour(connector: string): string | undefined {
    this.open();
    return this.#info.get(connector)?.last4 ?? undefined;
  }

  /** The credential, undefined when none is stored; throws VaultRecordUnreadable for a damaged one. */
  get(connector: string): Secret | undefined {
    const value = this.#secrets.get(connector);
    if (value instanceof VaultRecordUnreadable) throw value;
    return value;
  }

  list(): VaultCredentialInfo[] {
    this.open();
    return [...this.#info.values()];
  }

  #decrypt(row: VaultRow, keyProbe: boolean): Secret | VaultRecordUnreadable {
    try {
      return new Secret(
        decryptCredential(this.#key, row.connector, { iv: row.iv, ciphertext: row.ciphertext, tag: row.tag }),
      );
    } catch (err) {
      if (keyProbe) throw new VaultError('VAULT_KEY_MISMATCH', WRONG_MASTER_KEY_MESSAGE);
      if (err instanceof VaultError) return new VaultRecordUnreadable(row.connector);
      throw err;
    }
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
