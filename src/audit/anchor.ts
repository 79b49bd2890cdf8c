// The retention anchor: when old audit events are pruned, the id and hash of the last pruned event
// are kept, signed with the control plane's ES256 key, so the remaining chain still verifies from it.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { LocalDatabase } from '../storage/local-schema.js';
import { canonicalJson } from './canonical-json.js';

export interface AuditAnchor {
  id: number; // last pruned event
  hash: string; // its hash: the prev_hash of the first remaining event
  pruned_total: number;
  pruned_at: string;
}

const KEY = 'audit_anchor';

/**
 * The keys an anchor is written and read with, looked up at each use: the current private key (it
 * changes with `keys rotate`) and every public key the control plane ever signed with, so an anchor
 * signed before a rotation still verifies (see src/tokens/signing-key-ring.ts).
 */
export type AnchorKeys = () => Promise<{ privateKey: KeyObject; publicKeys: KeyObject[] }>;

export function signingKeys(pkcs8Pem: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(pkcs8Pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export async function writeAnchor(
  trx: Transaction<LocalDatabase>,
  anchor: AuditAnchor,
  privateKey: KeyObject,
): Promise<void> {
  const signature = sign('sha256', Buffer.from(canonicalJson(anchor)), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  const value = JSON.stringify({ anchor, signature: signature.toString('base64url') });
  await trx
    .insertInto('settings')
    .values({ key: KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export async function readAnchor(
  db: Kysely<LocalDatabase> | Transaction<LocalDatabase>,
  publicKeys: KeyObject | readonly KeyObject[],
): Promise<
  { status: 'none' } | { status: 'ok'; anchor: AuditAnchor } | { status: 'invalid'; reason: string }
> {
  // Any key the control plane ever signed with: `keys rotate` does not invalidate an older anchor.
  const keys = Array.isArray(publicKeys) ? publicKeys : [publicKeys as KeyObject];
  const row = await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  if (!row) return { status: 'none' };
  try {
    const { anchor, signature } = JSON.parse(row.value) as { anchor: AuditAnchor; signature: string };
    const ok = keys.some((key) =>
      verify(
        'sha256',
        Buffer.from(canonicalJson(anchor)),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature, 'base64url'),
      ),
    );
    return ok ? { status: 'ok', anchor } : { status: 'invalid', reason: 'signature does not match' };
  } catch (err) {
    return { status: 'invalid', reason: (err as Error).message };
  }
}
