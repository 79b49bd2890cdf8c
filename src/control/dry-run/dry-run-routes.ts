// POST /v1/dry-run: what the gateway would decide for a request or an action, sending nothing.
// Reading the configuration is all it does, so every role may ask.
import type { FastifyInstance } from 'fastify';
import type { DryRunAnswer } from '../../wire/dry-run.js';
import { type ConfigRouteDeps, NAME_PATTERN } from '../route-deps.js';
import { type DryRunInput, dryRun } from './dry-run.js';

export function registerDryRunRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  app.post(
    '/dry-run',
    {
      schema: {
        summary:
          'Decide a request or an action without sending it, showing every matched permission and rule',
        tags: ['policies'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agent'],
          properties: {
            agent: { type: 'string', pattern: NAME_PATTERN },
            method: { type: 'string', pattern: '^[A-Za-z]{1,20}$' },
            url: { type: 'string', minLength: 1, maxLength: 8192 },
            headers: {
              type: 'object',
              additionalProperties: {
                anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
              },
            },
            body: { type: 'string', maxLength: 1024 * 1024 },
            action: { type: 'string', minLength: 1, maxLength: 256 },
            params: { type: 'object' },
            connector: { type: 'string', pattern: NAME_PATTERN },
            risk: { type: 'string', enum: ['low', 'medium', 'high'] },
            at: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (req): Promise<DryRunAnswer> => dryRun(deps.db, req.body as DryRunInput, deps.now()),
  );
}
