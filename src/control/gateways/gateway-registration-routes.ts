// A gateway's registration (service token only, see ../route-roles.ts): its address, CA and port
// range, then every few seconds its report. Agents that were waiting for a dedicated port get one
// from the range here, so a configuration prepared before its gateway first connected comes to life.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import {
  GATEWAY_REGISTER_PATH,
  type GatewayRegistration,
  type RegistrationAck,
} from '../../sync/gateway-registration.js';
import { checkGatewayCa, normalizeFingerprint } from '../../trust/gateway-ca.js';
import { PORT_PROBE_COUNT, rangeText } from '../agents/agent-ports.js';
import type { ConfigChanges } from './config-changes.js';
import type { ConnectedGateways } from './connected-gateways.js';
import type { GatewayLinks } from './gateway-link.js';
import {
  agentsWithoutPort,
  assignWaitingPorts,
  configVersionOf,
  gatewayIdOf,
  recordRegistration,
} from './gateway-registry-store.js';

export interface GatewayRegistrationDeps {
  db: Kysely<LocalDatabase>;
  changes: ConfigChanges;
  connected: ConnectedGateways;
  links: GatewayLinks;
  logger: Logger;
  now: () => Date;
}

const GATEWAY_NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;

const sweepSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['started_at', 'cutoff', 'deleted', 'freed_bytes', 'error'],
  properties: {
    started_at: { type: 'string', maxLength: 40 },
    cutoff: { type: 'string', maxLength: 40 },
    deleted: { type: 'integer', minimum: 0 },
    freed_bytes: { type: 'integer', minimum: 0 },
    error: { type: ['string', 'null'], maxLength: 1000 },
  },
};
const RETENTION_REPORT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['days', 'source', 'last_sweep', 'database_bytes'],
  properties: {
    days: { type: 'integer', minimum: 0 },
    source: { type: 'string', enum: ['daemon', 'control_plane', 'default'] },
    last_sweep: sweepSchema,
    database_bytes: { type: ['integer', 'null'], minimum: 0 },
  },
};

export function registerGatewayRegistrationRoutes(app: FastifyInstance, deps: GatewayRegistrationDeps): void {
  app.post(
    GATEWAY_REGISTER_PATH,
    {
      bodyLimit: 256 * 1024,
      schema: {
        summary: 'Gateway link: a gateway registers its address, CA and agent port range (service token)',
        tags: ['internal'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: [
            'gateway',
            'version',
            'public_url',
            'ca_pem',
            'ca_fingerprint',
            'agent_ports',
            'config_version',
            'outbox_backlog',
            'started_at',
          ],
          properties: {
            gateway: { type: 'string', pattern: GATEWAY_NAME },
            version: { type: 'string', maxLength: 64 },
            public_url: { type: 'string', pattern: '^http://[^/?#@\\s]+$', maxLength: 300 },
            ca_pem: { type: 'string', maxLength: 16_384 },
            ca_fingerprint: { type: 'string', pattern: '^[0-9A-Fa-f:]{64,95}$' },
            agent_ports: {
              type: 'object',
              additionalProperties: false,
              required: ['start', 'end', 'open', 'errors'],
              properties: {
                start: port,
                end: port,
                open: { type: 'array', items: port, maxItems: 65535 },
                errors: {
                  type: 'object',
                  additionalProperties: { type: 'string', maxLength: 300 },
                  maxProperties: 10_000,
                },
              },
            },
            config_version: { type: 'integer', minimum: 0 },
            outbox_backlog: { type: 'integer', minimum: 0 },
            started_at: { type: 'string', maxLength: 40 },
            retention: RETENTION_REPORT_SCHEMA,
          },
        },
      },
    },
    async (req): Promise<RegistrationAck> => {
      const reg = req.body as GatewayRegistration;
      if (reg.agent_ports.end < reg.agent_ports.start)
        throw new AppError('validation_failed', 'agent_ports.end is below agent_ports.start');
      const ca = checkGatewayCa(reg.ca_pem, reg.ca_fingerprint);
      if (!ca.ok) throw new AppError('validation_failed', `the registered CA is refused: ${ca.reason}`);
      const fingerprint = normalizeFingerprint(reg.ca_fingerprint);
      const existingId = await gatewayIdOf(deps.db, reg.gateway);
      const other = existingId && (await deps.connected.conflictingFingerprint(existingId, fingerprint));
      if (other) {
        throw new AppError(
          'conflict',
          `another gateway (CA ${other}) is connected as ${reg.gateway}: give this one its own name (--gateway-name / TAMEFLARE_GATEWAY_NAME)`,
        );
      }
      const gateway = await recordRegistration(deps.db, { ...reg, ca_fingerprint: fingerprint }, deps.now());
      await givePorts(deps, gateway, { start: reg.agent_ports.start, end: reg.agent_ports.end });
      return { registered: true, config_version: await configVersionOf(deps.db, gateway.id) };
    },
  );
}

/** Gives the gateway's waiting agents ports from its range; the rest keep waiting (range full). */
async function givePorts(
  deps: GatewayRegistrationDeps,
  gateway: { id: string; name: string },
  range: { start: number; end: number },
): Promise<void> {
  const waiting = await agentsWithoutPort(deps.db, gateway.id);
  if (waiting.length === 0) return;
  // Asked before the transaction: a network call must not hold the database's write lock.
  const probe = await deps.links.to(gateway.name).availablePorts(range, PORT_PROBE_COUNT);
  const assigned = await assignWaitingPorts(deps.db, gateway, range, probe);
  if (assigned > 0) deps.changes.notify(gateway.id);
  if (assigned < waiting.length) {
    deps.logger.warn(
      { gateway: gateway.name, range: rangeText(range), waiting: waiting.length - assigned },
      "agents wait for a dedicated port: the gateway's range is full",
    );
  }
}
