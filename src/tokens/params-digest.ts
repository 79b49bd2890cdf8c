// The digest a decision token carries of the parameters it was issued for: SHA-256 over their
// canonical JSON (sorted keys), base64url. The gateway computes the same over the parameters its
// connector extracted from the real request, so a token is good only for exactly those parameters.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';

export function paramsDigest(params: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(params)).digest('base64url');
}
