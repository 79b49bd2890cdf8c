// /v1/keys: the control plane's signing keys (public parts only) and their rotation. Rotating keeps
// the old public key published until every token it signed has expired (signing-key-ring.ts).
import type { FastifyInstance } from 'fastify';
import type { SigningKeyRing } from '../../tokens/signing-key-ring.js';
import type { KeyList, KeyRotated } from '../../wire/actions.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';

export function registerKeyRoutes(
  app: FastifyInstance,
  deps: { keys: SigningKeyRing; now: () => Date },
): void {
  app.get(
    '/keys',
    { schema: { summary: 'Signing keys (public parts): current, retired, published', tags: ['keys'] } },
    async (): Promise<KeyList> => ({ keys: await deps.keys.list(deps.now()) }),
  );

  app.post(
    '/keys/rotate',
    {
      schema: {
        summary: 'Replace the signing key; the old one stays published until its tokens expire',
        tags: ['keys'],
        body: { type: ['object', 'null'], additionalProperties: false, properties: {} },
      },
    },
    async (req): Promise<KeyRotated> =>
      deps.keys.rotate({ actor: actorOf(principalOf(req)), now: deps.now() }),
  );
}
