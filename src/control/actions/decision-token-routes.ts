// The decision-token routes outside /v1: the public keys (/.well-known/jwks.json, for gateways and
// anyone checking a token) and the gateway's redemption (/internal/decision-tokens/redeem, service
// token): a gateway that accepted a token for a held request spends its nonce here, once.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { SigningKeyRing } from '../../tokens/signing-key-ring.js';
import { checkToken } from './action-routes.js';
import { redeemActionRequest } from './action-store.js';

export interface DecisionTokenRouteDeps {
  db: Kysely<LocalDatabase>;
  keys: SigningKeyRing;
  now: () => Date;
}

export function registerDecisionTokenRoutes(app: FastifyInstance, deps: DecisionTokenRouteDeps): void {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        summary:
          'Public keys that sign decision tokens (current, and retired ones until their tokens expire)',
        tags: ['actions'],
      },
    },
    async (_req, reply) => {
      // Gateways refetch on an unknown kid; a minute of caching elsewhere is harmless.
      void reply.header('cache-control', 'public, max-age=60');
      return deps.keys.jwks(deps.now());
    },
  );

  app.post(
    '/internal/decision-tokens/redeem',
    {
      schema: {
        summary: 'Gateway: spend a decision token presented with a request (service token)',
        tags: ['internal'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['token', 'agent', 'action', 'params_digest', 'gateway'],
          properties: {
            token: { type: 'string', minLength: 10, maxLength: 4096 },
            agent: { type: 'string', maxLength: 63 },
            action: { type: 'string', maxLength: 200 },
            params_digest: { type: 'string', maxLength: 64 },
            gateway: { type: 'string', maxLength: 63 },
          },
        },
      },
    },
    async (req) => {
      const body = req.body as {
        token: string;
        agent: string;
        action: string;
        params_digest: string;
        gateway: string;
      };
      const now = deps.now();
      // Verified again here: the gateway's own check is a fast filter, this one is the authority.
      const claims = await checkToken(deps.keys, body.token, now, {
        agent: body.agent,
        action: body.action,
        paramsDigest: body.params_digest,
      });
      const redeemed = await redeemActionRequest(deps.db, {
        id: claims.actionRequestId,
        nonce: claims.nonce,
        via: `gateway:${body.gateway}`,
        now,
      });
      if (!redeemed.ok)
        throw new AppError(redeemed.used ? 'decision_token_used' : 'decision_token_invalid', redeemed.detail);
      return { redeemed: true, action_request_id: claims.actionRequestId };
    },
  );
}
