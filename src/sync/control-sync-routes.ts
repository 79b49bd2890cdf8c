// The control plane's side of the gateway link (service token only): a live configuration stream
// (server-sent events, a full snapshot whenever the gateway's version changes) and the intake of
// the gateway's outbox, which becomes `action.*` audit events exactly once and in order.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAuditEvents } from '../audit/ledger.js';
import type { Secret } from '../config/secret.js';
import { buildSnapshot } from '../control/config/build-snapshot.js';
import type { ConfigChanges } from '../control/config/config-changes.js';
import { ensureGateway } from '../control/config/gateways.js';
import { AppError } from '../errors/codes.js';
import type { LocalDatabase } from '../storage/local-schema.js';

export interface ControlSyncDeps {
  db: Kysely<LocalDatabase>;
  changes: ConfigChanges;
  serviceToken: Secret | undefined;
  logger: Logger;
  now: () => Date;
  heartbeatMs?: number | undefined;
}

const GATEWAY_NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';

export function checkServiceToken(req: FastifyRequest, token: Secret | undefined): void {
  if (!token) throw new AppError('not_found', 'the gateway link is disabled (no GATEWAY_SERVICE_TOKEN)');
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const given = Buffer.from(m?.[1] ?? '');
  const want = Buffer.from(token.reveal());
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new AppError('unauthenticated', 'a valid service token is required');
  }
}

export function registerControlSyncRoutes(app: FastifyInstance, deps: ControlSyncDeps): void {
  const log = deps.logger;
  const streams = new Set<FastifyReply>();
  // preClose, not onClose: server.close() waits for open connections, and a gateway's stream never
  // ends by itself, so it must be ended first or shutdown hangs until the grace period runs out.
  app.addHook('preClose', async () => {
    for (const r of streams) r.raw.end();
  });

  app.get(
    '/internal/gateway/stream',
    {
      schema: {
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
      checkServiceToken(req, deps.serviceToken);
      const { gateway: name, version } = req.query as { gateway: string; version?: string };
      const gw = await ensureGateway(deps.db, name);
      await deps.db
        .updateTable('gateways')
        .set({ last_seen_at: deps.now().toISOString(), version: version ?? null })
        .where('id', '=', gw.id)
        .execute();
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      streams.add(reply);
      let sent = -1;
      let sending = Promise.resolve();
      const send = () => {
        sending = sending
          .then(async () => {
            if (res.destroyed) return;
            const snapshot = await buildSnapshot(deps.db, gw.id, deps.now());
            if (snapshot.version === sent) return;
            sent = snapshot.version;
            res.write(`event: snapshot\nid: ${snapshot.version}\ndata: ${JSON.stringify(snapshot)}\n\n`);
          })
          .catch((err: unknown) => log.error({ err }, 'could not send a configuration snapshot'));
      };
      const unsubscribe = deps.changes.subscribe((id) => {
        if (id === gw.id) send();
      });
      const heartbeat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs ?? 15_000);
      heartbeat.unref();
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(reply);
        log.info({ gateway: name }, 'gateway stream closed');
      });
      log.info({ gateway: name, version }, 'gateway stream opened');
      send();
    },
  );

  app.post(
    '/internal/gateway/events',
    {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
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
    async (req) => {
      checkServiceToken(req, deps.serviceToken);
      const body = req.body as {
        gateway: string;
        events: { id: number; event_type: string; payload: string; created_at: string }[];
      };
      const gw = await ensureGateway(deps.db, body.gateway);
      const acknowledged = await deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('gateways')
          .select('last_event_id')
          .where('id', '=', gw.id)
          .executeTakeFirstOrThrow();
        // Redelivered events (the gateway did not see our last answer) are skipped, not duplicated.
        const fresh = body.events.filter((e) => e.id > row.last_event_id).sort((a, b) => a.id - b.id);
        if (fresh.length === 0) return row.last_event_id;
        await appendAuditEvents(
          trx,
          fresh.map((e) => {
            let details: Record<string, unknown>;
            try {
              details = JSON.parse(e.payload) as Record<string, unknown>;
            } catch {
              details = { unparsable_payload: true };
            }
            const agent = typeof details.agent === 'string' ? details.agent : undefined;
            return {
              type: e.event_type,
              actor: agent ? `agent:${agent}` : `gateway:${body.gateway}`,
              subject: typeof details.action === 'string' ? details.action : undefined,
              details: { ...details, gateway: body.gateway, gateway_event_id: e.id },
            };
          }),
        );
        const last = fresh[fresh.length - 1]!.id;
        await trx
          .updateTable('gateways')
          .set({ last_event_id: last, last_seen_at: deps.now().toISOString() })
          .where('id', '=', gw.id)
          .execute();
        return last;
      });
      return { acknowledged };
    },
  );
}
