// The control plane's side of the gateway link (service token only, see ../route-roles.ts): a live configuration stream
// (server-sent events, a full snapshot whenever the gateway's version changes) and the intake of
// the gateway's outbox, which becomes `action.*` audit events exactly once and in order.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { GATEWAY_CA_HEADER } from '../../sync/gateway-registration.js';
import {
  GATEWAY_EVENTS_PATH,
  GATEWAY_STREAM_PATH,
  type OutboxAck,
  type OutboxBatch,
} from '../../sync/outbox-event.js';
import { eventStreams } from '../event-stream.js';
import { buildSnapshot } from './build-snapshot.js';
import type { ConfigChanges } from './config-changes.js';
import type { ConnectedGateways } from './connected-gateways.js';
import type { GatewayEventIntake } from './gateway-event-store.js';
import { ensureGateway, markGatewaySeen } from './gateway-store.js';

export interface GatewaySyncDeps {
  db: Kysely<LocalDatabase>;
  /** Where the gateways' outbox events become audit events (see gateway-event-store.ts). */
  intake: GatewayEventIntake;
  changes: ConfigChanges;
  /** Open streams: what makes a gateway `connected` (see ./connected-gateways.ts). */
  connected?: ConnectedGateways | undefined;
  logger: Logger;
  now: () => Date;
  heartbeatMs?: number | undefined;
  /**
   * How often an open stream compares its gateway's version with what it sent, when other processes
   * change configurations too: the safety net under the change feed (a NOTIFY lost in an outage).
   */
  versionCheckMs?: number | undefined;
  /** More events for a gateway's stream (approval decisions): started when it opens; returns a stop function. */
  streamEvents?:
    | ((gatewayId: string, send: (event: string, data: unknown) => void) => () => void)
    | undefined;
}

const GATEWAY_NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';
const VERSION_CHECK_MS = 30_000;

export function registerGatewaySyncRoutes(app: FastifyInstance, deps: GatewaySyncDeps): void {
  const log = deps.logger;
  const streams = eventStreams(app, deps.heartbeatMs);

  app.get(
    GATEWAY_STREAM_PATH,
    {
      schema: {
        summary: "Gateway link: server-sent snapshots of a gateway's configuration (service token)",
        tags: ['internal'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['gateway'],
          properties: {
            gateway: { type: 'string', pattern: GATEWAY_NAME },
            version: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (req, reply) => {
      const { gateway: name, version } = req.query as { gateway: string; version?: string };
      const gw = await ensureGateway(deps.db, name);
      const ca = streamFingerprint(req.headers[GATEWAY_CA_HEADER]);
      const other = ca && (await deps.connected?.conflictingFingerprint(gw.id, ca));
      if (other) {
        throw new AppError(
          'conflict',
          `another gateway (CA ${other}) is connected as ${name}: give this one its own name (--gateway-name / TAMEFLARE_GATEWAY_NAME)`,
        );
      }
      await markGatewaySeen(deps.db, gw.id, deps.now(), version ?? null);
      const disconnected = deps.connected?.open(gw.id, ca, deps.now());
      const stream = streams.open(reply);
      let sent = -1;
      let sending = Promise.resolve();
      const send = () => {
        sending = sending
          .then(async () => {
            if (stream.closed) return;
            const snapshot = await buildSnapshot(deps.db, gw.id, deps.now());
            if (snapshot.version === sent) return;
            sent = snapshot.version;
            stream.write('snapshot', snapshot, snapshot.version);
          })
          .catch((err: unknown) => log.error({ err }, 'could not send a configuration snapshot'));
      };
      const unsubscribe = deps.changes.subscribe((id) => {
        if (id === gw.id || id === undefined) send();
      });
      const check = deps.changes.shared
        ? setInterval(() => {
            void configVersion(deps.db, gw.id)
              .then((v) => {
                if (v !== undefined && v !== sent) send();
              })
              .catch(() => undefined); // the database is away: the next check tries again
          }, deps.versionCheckMs ?? VERSION_CHECK_MS)
        : undefined;
      check?.unref();
      const stopEvents = deps.streamEvents?.(gw.id, (event, data) => stream.write(event, data));
      stream.onClose(() => {
        if (check) clearInterval(check);
        disconnected?.();
        unsubscribe();
        stopEvents?.();
        log.info({ gateway: name }, 'gateway stream closed');
      });
      log.info({ gateway: name, version }, 'gateway stream opened');
      send();
    },
  );

  app.post(
    GATEWAY_EVENTS_PATH,
    {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: "Gateway link: a gateway's outbox events, recorded once and in order (service token)",
        tags: ['internal'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['gateway', 'events'],
          properties: {
            gateway: { type: 'string', pattern: GATEWAY_NAME },
            events: {
              type: 'array',
              maxItems: 5000,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['id', 'event_type', 'payload', 'created_at'],
                properties: {
                  id: { type: 'integer', minimum: 1 },
                  event_type: { type: 'string', pattern: '^[a-z_]+(\\.[a-z_]+)+$' },
                  payload: { type: 'string', maxLength: 1_000_000 },
                  created_at: { type: 'string', maxLength: 40 },
                },
              },
            },
          },
        },
      },
    },
    async (req) => acceptOutboxBatch(deps, req.body as OutboxBatch),
  );
}

/**
 * Records a gateway's outbox batch: what the events route does once the body has passed its schema,
 * and what a gateway in the same process (`--role=all`) calls directly (docs/operations.md, the link
 * between gateway and control plane): no HTTP, no JSON, the same intake, the same acknowledgement.
 */
export async function acceptOutboxBatch(
  deps: Pick<GatewaySyncDeps, 'db' | 'intake' | 'now'>,
  batch: OutboxBatch,
): Promise<OutboxAck> {
  const gw = await ensureGateway(deps.db, batch.gateway);
  const acknowledged = await deps.intake.accept(gw, batch.events, deps.now());
  return { acknowledged };
}

async function configVersion(db: Kysely<LocalDatabase>, gatewayId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('gateways')
    .select('config_version')
    .where('id', '=', gatewayId)
    .executeTakeFirst();
  return row?.config_version;
}

function streamFingerprint(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/i.test(value) ? value.toUpperCase() : undefined;
}
