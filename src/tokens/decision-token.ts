// Decision tokens (SPEC 5.4): ES256 JWS, short-lived, binding one agent, one action and a digest of
// its parameters, with a single-use nonce as `jti`. jose stays behind this file.
//
// Threat model: a token leaks (logs, a compromised agent) or is replayed. Controls: a signature only
// the control plane can make (the private key never leaves it), `kid` naming the key so rotation
// needs no guessing, audience and issuer pinned, algorithm pinned to ES256 (no `none`, no HMAC
// confusion), expiry of minutes, and a nonce that the control plane burns on first use.
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, type JWK, jwtVerify, SignJWT } from 'jose';

export const DECISION_TOKEN_ISSUER = 'tameflare-control-plane';
export const DECISION_TOKEN_AUDIENCE = 'tameflare';
export const DECISION_TOKEN_TYPE = 'tameflare-decision+jwt';
/** Long enough to make the call the token allows, short enough that a leaked one soon dies. */
export const DECISION_TOKEN_TTL_SECONDS = 120;

export interface DecisionClaims {
  /** The agent the token was issued to. */
  agent: string;
  /** The action it allows, e.g. `github.pr.merge`. */
  action: string;
  /** paramsDigest() of the parameters it was issued for. */
  paramsDigest: string;
  /** The action request it answers (GET /v1/actions/:id). */
  actionRequestId: string;
  /** Single-use nonce (`jti`), burnt in `used_nonces` on first use. */
  nonce: string;
  expiresAt: Date;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

/** The public key as a JWK for /.well-known/jwks.json, `kid` its RFC 7638 thumbprint. */
export async function publicJwk(publicKey: KeyObject): Promise<JWK & { kid: string }> {
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg: 'ES256', use: 'sig' };
}

export async function signDecisionToken(key: SigningKey, claims: DecisionClaims, now: Date): Promise<string> {
  return new SignJWT({ act: claims.action, pd: claims.paramsDigest, arq: claims.actionRequestId })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: DECISION_TOKEN_TYPE })
    .setIssuer(DECISION_TOKEN_ISSUER)
    .setAudience(DECISION_TOKEN_AUDIENCE)
    .setSubject(claims.agent)
    .setJti(claims.nonce)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(key.privateKey);
}

export type VerifyResult =
  | { ok: true; claims: DecisionClaims }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'invalid' | 'expired'; detail: string };

/** The `kid` a token names, without trusting anything else in it; undefined when it has none. */
export function tokenKid(token: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(token).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** Checks signature, algorithm, type, issuer, audience and expiry; `keyFor` maps a kid to its public key. */
export async function verifyDecisionToken(
  token: string,
  keyFor: (kid: string) => KeyObject | undefined | Promise<KeyObject | undefined>,
  now: Date,
): Promise<VerifyResult> {
  if (token.length > 4096) return { ok: false, reason: 'malformed', detail: 'the token is too long' };
  const kid = tokenKid(token);
  if (kid === undefined) return { ok: false, reason: 'malformed', detail: 'not a JWS with a kid' };
  const key = await keyFor(kid);
  if (!key) return { ok: false, reason: 'unknown_key', detail: `no published key ${kid}` };
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['ES256'],
      issuer: DECISION_TOKEN_ISSUER,
      audience: DECISION_TOKEN_AUDIENCE,
      typ: DECISION_TOKEN_TYPE,
      currentDate: now,
      clockTolerance: 5,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    });
    const { sub, jti, exp, act, pd, arq } = payload;
    if (
      typeof act !== 'string' ||
      typeof pd !== 'string' ||
      typeof arq !== 'string' ||
      !sub ||
      !jti ||
      !exp
    ) {
      return { ok: false, reason: 'invalid', detail: 'the token lacks its decision claims' };
    }
    return {
      ok: true,
      claims: {
        agent: sub,
        action: act,
        paramsDigest: pd,
        actionRequestId: arq,
        nonce: jti,
        expiresAt: new Date(exp * 1000),
      },
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired', detail: 'the token has expired' };
    return { ok: false, reason: 'invalid', detail: `the token does not verify (${code ?? 'error'})` };
  }
}

/** The claims a token must carry to stand for this request: same agent, action and parameters. */
export function claimsMismatch(
  claims: DecisionClaims,
  expect: { agent: string; action: string; paramsDigest: string },
): string | undefined {
  if (claims.agent !== expect.agent) return `it was issued to agent ${claims.agent}, not ${expect.agent}`;
  if (claims.action !== expect.action) return `it allows ${claims.action}, not ${expect.action}`;
  if (claims.paramsDigest !== expect.paramsDigest) return 'it was issued for different parameters';
  return undefined;
}
