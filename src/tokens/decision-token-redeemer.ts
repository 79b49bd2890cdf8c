// The gateway's side of decision tokens: a token presented with a request that needs approval is
// checked against the control plane's published keys (fetched from /.well-known/jwks.json, cached,
// refetched when a token names a key not seen yet) and then spent through the control plane, which
// alone knows whether its nonce was used. When the control plane cannot be reached the token is
// ignored (the seed's partition rule: only local permissions decide) and that is logged.
//
// Threat model: tokens come from agents. A forged or altered token fails the signature; a token for
// another agent, action or parameters fails the claims; a replayed one fails at the control plane.
// Unknown kids cannot make the gateway hammer the control plane: a refetch happens at most every
// few seconds.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { Secret } from '../config/secret.js';
import { claimsMismatch, verifyDecisionToken } from './decision-token.js';
import { paramsDigest } from './params-digest.js';

export interface RedeemerDeps {
  /** The control plane's base URL (CONTROL_PLANE_URL, or the one in this process); undefined: none. */
  controlPlaneUrl: () => string | undefined;
  serviceToken: Secret | undefined;
  gatewayName: string;
  logger: Logger;
  now: () => Date;
  timeoutMs?: number | undefined;
}

export type RedeemOutcome = { ok: true; actionRequestId: string } | { ok: false; reason: string };

export interface DecisionTokenRedeemer {
  redeem(
    token: string,
    expect: { agent: string; action: string; params: Record<string, unknown> },
  ): Promise<RedeemOutcome>;
}

const REFETCH_AFTER_MS = 5_000;

/** The reason of a token ignored because the control plane could not be asked (the seed's partition rule). */
export const CONTROL_PLANE_UNREACHABLE = 'the control plane could not be reached to verify it';

export function createDecisionTokenRedeemer(deps: RedeemerDeps): DecisionTokenRedeemer {
  const timeoutMs = deps.timeoutMs ?? 3_000;
  let keys = new Map<string, KeyObject>();
  let fetchedAt = 0;
  let fetching: Promise<void> | undefined;

  async function refetch(base: string): Promise<void> {
    fetching ??= (async () => {
      try {
        const res = await fetch(`${base}/.well-known/jwks.json`, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { keys?: JWK[] };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid !== 'string' || jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
          next.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
        }
        keys = next;
      } finally {
        fetchedAt = Date.now();
        fetching = undefined;
      }
    })();
    return fetching;
  }

  async function keyFor(base: string, kid: string): Promise<KeyObject | undefined> {
    if (!keys.has(kid) && Date.now() - fetchedAt >= REFETCH_AFTER_MS) await refetch(base);
    return keys.get(kid);
  }

  return {
    async redeem(token, expect) {
      const base = deps.controlPlaneUrl();
      if (!base || !deps.serviceToken) return { ok: false, reason: 'no control plane to verify it with' };
      const now = deps.now();
      const digest = paramsDigest(expect.params);
      try {
        const verified = await verifyDecisionToken(token, (kid) => keyFor(base, kid), now);
        if (!verified.ok) return { ok: false, reason: verified.detail };
        const mismatch = claimsMismatch(verified.claims, {
          agent: expect.agent,
          action: expect.action,
          paramsDigest: digest,
        });
        if (mismatch) return { ok: false, reason: mismatch };
        const res = await fetch(`${base}/internal/decision-tokens/redeem`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${deps.serviceToken.reveal()}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            token,
            agent: expect.agent,
            action: expect.action,
            params_digest: digest,
            gateway: deps.gatewayName,
          }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = (await res.json().catch(() => ({}))) as {
          action_request_id?: string;
          detail?: string;
          code?: string;
        };
        if (res.ok && typeof body.action_request_id === 'string')
          return { ok: true, actionRequestId: body.action_request_id };
        if (res.status === 409 || res.status === 403 || res.status === 401)
          return { ok: false, reason: body.detail ?? body.code ?? `refused (${res.status})` };
        throw new Error(`HTTP ${res.status} from the control plane`);
      } catch (err) {
        deps.logger.warn(
          { err: (err as Error).message, agent: expect.agent, action: expect.action },
          'decision token ignored: the control plane could not be reached to verify it; local permissions decide',
        );
        return { ok: false, reason: CONTROL_PLANE_UNREACHABLE };
      }
    },
  };
}
