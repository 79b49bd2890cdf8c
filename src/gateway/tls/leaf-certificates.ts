// Leaf certificates for intercepted hosts, minted on demand and kept in memory only. One P-256 key is
// shared by every leaf of a cache: generating a key per host would triple the cost of a new host for
// no gain, since all leaves live and die with this process and the CA key is what agents trust.
import { webcrypto } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { CertificateAuthority } from './certificate-authority.js';
import { parseCertificateHost } from './certificate-host.js';

const HOUR_MS = 60 * 60 * 1000;

export interface LeafCertificateCacheOptions {
  /** Hosts kept; the least recently used leaf is dropped beyond this. Default 1000. */
  maxEntries?: number;
  /** Lifetime of a leaf from the moment it is minted. Default 24 hours. */
  validityMs?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

interface Entry {
  context: Promise<SecureContext>;
  /** Set once minted; until then concurrent callers share the pending promise. */
  renewAt: number | undefined;
}

interface LeafKey {
  keyPem: string;
  spki: ArrayBuffer;
}

export class LeafCertificateCache {
  readonly #ca: CertificateAuthority;
  readonly #validityMs: number;
  readonly #now: () => number;
  readonly #entries: LRUCache<string, Entry>;
  #leafKey: Promise<LeafKey> | undefined;
  #minted = 0;

  constructor(ca: CertificateAuthority, opts: LeafCertificateCacheOptions = {}) {
    const maxEntries = opts.maxEntries ?? 1000;
    const validityMs = opts.validityMs ?? 24 * HOUR_MS;
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new Error('maxEntries must be a positive integer');
    if (!(validityMs > 0)) throw new Error('validityMs must be positive');
    this.#ca = ca;
    this.#validityMs = validityMs;
    this.#now = opts.now ?? Date.now;
    this.#entries = new LRUCache({ max: maxEntries });
  }

  /**
   * A TLS context (leaf + CA chain) for `host`: a DNS name or an IP literal (IPv6 with or without
   * brackets). Rejects anything else before minting.
   */
  async secureContextFor(host: string): Promise<SecureContext> {
    const parsed = parseCertificateHost(host);
    const entry = this.#entries.get(parsed.name);
    if (entry && (entry.renewAt === undefined || this.#now() < entry.renewAt)) return entry.context;
    return this.#mint(parsed.name).context;
  }

  stats(): { minted: number; cached: number } {
    return { minted: this.#minted, cached: this.#entries.size };
  }

  #mint(name: string): Entry {
    const entry: Entry = { context: Promise.resolve(undefined as never), renewAt: undefined };
    entry.context = (async () => {
      const leafKey = await this.#sharedLeafKey();
      const mintedAt = this.#now();
      const certPem = await this.#ca.issueServerCertificate({
        hosts: [name],
        publicKey: leafKey.spki,
        // Back-dated so agents whose clock lags a little still accept the leaf.
        notBefore: new Date(mintedAt - HOUR_MS),
        notAfter: new Date(mintedAt + this.#validityMs),
      });
      const context = createSecureContext({ key: leafKey.keyPem, cert: certPem + this.#ca.certPem });
      const notAfter = Math.min(mintedAt + this.#validityMs, this.#ca.notAfter.getTime());
      // Renew with a quarter of the lifetime left, so a long-lived tunnel never holds an expiring leaf.
      entry.renewAt = mintedAt + ((notAfter - mintedAt) * 3) / 4;
      this.#minted++;
      return context;
    })();
    entry.context.catch(() => {
      // A failed mint must not poison the host: the next caller tries again.
      if (this.#entries.peek(name) === entry) this.#entries.delete(name);
    });
    this.#entries.set(name, entry);
    return entry;
  }

  #sharedLeafKey(): Promise<LeafKey> {
    if (!this.#leafKey) {
      this.#leafKey = generateLeafKey();
      this.#leafKey.catch(() => {
        this.#leafKey = undefined;
      });
    }
    return this.#leafKey;
  }
}

async function generateLeafKey(): Promise<LeafKey> {
  const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, spki: await webcrypto.subtle.exportKey('spki', pair.publicKey) };
}
