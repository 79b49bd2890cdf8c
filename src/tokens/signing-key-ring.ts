// The control plane's ES256 keys. The private key of the current one lives only in signing.key
// (0600); local.db keeps every public key ever used, so decision tokens signed before a rotation
// verify until they expire (the old key stays in the JWKS that long) and retention anchors signed by
// any earlier key still verify.
//
// Threat model: a leaked signing key lets its holder mint decision tokens; `keys rotate` replaces it,
// and the old key leaves the JWKS once the tokens it could have signed have expired. The key file is
// replaced atomically (written beside it, then renamed), so a crash leaves the old or the new key,
// never half of one; whatever key the file holds at start-up is the current one.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { AnchorKeys } from '../audit/anchor.js';
import { appendAuditEvent } from '../audit/ledger.js';
import { AppError } from '../errors/codes.js';
import type { LocalDatabase } from '../storage/local-schema.js';
import { DECISION_TOKEN_TTL_SECONDS, publicJwk, type SigningKey } from './decision-token.js';

/** How long a retired key stays published: every token it signed has expired by then (plus skew). */
export const RETIRED_KEY_PUBLISHED_SECONDS = DECISION_TOKEN_TTL_SECONDS + 60;

export interface KeyInfo {
  kid: string;
  created_at: string;
  retired_at: string | null;
  published_until: string | null;
  current: boolean;
  /** In /.well-known/jwks.json now. */
  published: boolean;
}

export interface SigningKeyRing {
  /** The key new tokens and anchors are signed with. */
  current(): Promise<SigningKey & { publicKey: KeyObject }>;
  /** Every public key ever used, the current one first (anchors may predate a rotation). */
  allPublicKeys(): Promise<KeyObject[]>;
  /** The published keys by kid: the current one and retired ones whose tokens may still be alive. */
  publishedKey(kid: string, now: Date): Promise<KeyObject | undefined>;
  jwks(now: Date): Promise<{ keys: JWK[] }>;
  list(now: Date): Promise<KeyInfo[]>;
  rotate(ctx: {
    actor: string;
    now: Date;
  }): Promise<{ kid: string; previous_kid: string; previous_published_until: string }>;
}

type Database = Kysely<LocalDatabase>;

async function loadPem(
  pem: string,
): Promise<SigningKey & { publicKey: KeyObject; jwk: JWK & { kid: string } }> {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const jwk = await publicJwk(publicKey);
  return { kid: jwk.kid, privateKey, publicKey, jwk };
}

/**
 * The ring over signing.key. Nothing is read until first use; then the file's key is recorded as the
 * current one (any other key still marked current is retired, published while its tokens may live).
 */
export function signingKeyRing(db: Database, keyFile: string, clock: () => Date): SigningKeyRing {
  let opened: Promise<void> | undefined;
  let current!: Awaited<ReturnType<typeof loadPem>>;
  const ready = () => {
    opened ??= (async () => {
      current = await loadPem(readFileSync(keyFile, 'utf8'));
      await adopt(db, current.jwk, clock());
    })();
    opened.catch(() => {
      opened = undefined; // try again next time (the file may be restored)
    });
    return opened;
  };
  const imported = new Map<string, KeyObject>();

  async function importKey(kid: string, jwkText: string): Promise<KeyObject> {
    let key = imported.get(kid);
    if (!key) {
      key = createPublicKey({ key: JSON.parse(jwkText) as JsonWebKey, format: 'jwk' });
      imported.set(kid, key);
    }
    return key;
  }

  const ring: SigningKeyRing = {
    async current() {
      await ready();
      return current;
    },
    async allPublicKeys() {
      await ready();
      const rows = await db
        .selectFrom('signing_keys')
        .select(['kid', 'public_jwk'])
        .orderBy('created_at', 'desc')
        .execute();
      const others = rows.filter((r) => r.kid !== current.kid);
      return [current.publicKey, ...(await Promise.all(others.map((r) => importKey(r.kid, r.public_jwk))))];
    },
    async publishedKey(kid, at) {
      await ready();
      if (kid === current.kid) return current.publicKey;
      const row = await db
        .selectFrom('signing_keys')
        .select(['kid', 'public_jwk', 'published_until'])
        .where('kid', '=', kid)
        .executeTakeFirst();
      if (!row || row.published_until === null || row.published_until <= at.toISOString()) return undefined;
      return importKey(row.kid, row.public_jwk);
    },
    async jwks(at) {
      await ready();
      const rows = await db
        .selectFrom('signing_keys')
        .select(['kid', 'public_jwk'])
        .where((eb) => eb.or([eb('kid', '=', current.kid), eb('published_until', '>', at.toISOString())]))
        .orderBy('created_at', 'desc')
        .execute();
      return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
    },
    async list(at) {
      await ready();
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
      return rows.map((r) => ({
        kid: r.kid,
        created_at: r.created_at,
        retired_at: r.retired_at,
        published_until: r.kid === current.kid ? null : r.published_until,
        current: r.kid === current.kid,
        published:
          r.kid === current.kid || (r.published_until !== null && r.published_until > at.toISOString()),
      }));
    },
    async rotate(ctx) {
      await ready();
      const previous = current;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const next = await loadPem(pem);
      const nowIso = ctx.now.toISOString();
      const publishedUntil = new Date(ctx.now.getTime() + RETIRED_KEY_PUBLISHED_SECONDS * 1000).toISOString();
      // The new key is written beside the old file first; the rename makes it current on disk only
      // after the database knows its public key.
      const staged = `${keyFile}.next`;
      writeFileSync(staged, pem, { mode: 0o600 });
      chmodSync(staged, 0o600);
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('signing_keys')
          .values({
            kid: next.kid,
            public_jwk: JSON.stringify(next.jwk),
            created_at: nowIso,
            retired_at: null,
            published_until: null,
          })
          .execute();
        await trx
          .updateTable('signing_keys')
          .set({ retired_at: nowIso, published_until: publishedUntil })
          .where('kid', '=', previous.kid)
          .execute();
        await appendAuditEvent(trx, {
          type: 'signing_key.rotated',
          actor: ctx.actor,
          subject: `key:${next.kid}`,
          details: { previous_kid: previous.kid, previous_published_until: publishedUntil },
          createdAt: nowIso,
        });
      });
      renameSync(staged, keyFile);
      current = next;
      return { kid: next.kid, previous_kid: previous.kid, previous_published_until: publishedUntil };
    },
  };
  return ring;
}

async function adopt(db: Database, jwk: JWK & { kid: string }, now: Date): Promise<void> {
  const nowIso = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('signing_keys')
      .values({
        kid: jwk.kid,
        public_jwk: JSON.stringify(jwk),
        created_at: nowIso,
        retired_at: null,
        published_until: null,
      })
      .onConflict((oc) => oc.column('kid').doUpdateSet({ retired_at: null, published_until: null }))
      .execute();
    // Another key still marked current (the file was replaced by hand, or a rotation's rename was
    // the last thing to happen): retire it now, published while its tokens may live.
    await trx
      .updateTable('signing_keys')
      .set({
        retired_at: nowIso,
        published_until: new Date(now.getTime() + RETIRED_KEY_PUBLISHED_SECONDS * 1000).toISOString(),
      })
      .where('kid', '!=', jwk.kid)
      .where('retired_at', 'is', null)
      .execute();
  });
}

/** What retention anchors are signed and verified with: the ring's keys as they are at each use. */
export function anchorKeys(ring: SigningKeyRing): AnchorKeys {
  return async () => ({
    privateKey: (await ring.current()).privateKey,
    publicKeys: await ring.allPublicKeys(),
  });
}

/** For a control plane built without keys (some tests): every use answers 503. */
export const noKeyRing: SigningKeyRing = (() => {
  const refuse = async (): Promise<never> => {
    throw new AppError('unavailable', 'this control plane has no signing key');
  };
  return {
    current: refuse,
    allPublicKeys: refuse,
    publishedKey: refuse,
    jwks: refuse,
    list: refuse,
    rotate: refuse,
  };
})();
