// GET /v1/approvals/stream: the live feed the dashboard and `tameflare approvals watch` read. It opens
// with a `ready` event listing what is pending now, then one event per change (approval.requested,
// approval.updated when a request joins, approval.decided), and a comment line every 15 s so that
// proxies and clients can tell a quiet feed from a dead one.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { ApprovalStreamEvent } from '../../wire/approvals.js';
import type { ApprovalService } from './approval-service.js';
import { listApprovals } from './approval-store.js';
import { toApprovalWire } from './approval-wire.js';

export interface ApprovalStreamDeps {
  db: Kysely<LocalDatabase>;
  approvals: ApprovalService;
  heartbeatMs?: number | undefined;
}

export function registerApprovalStreamRoutes(app: FastifyInstance, deps: ApprovalStreamDeps): void {
  const streams = new Set<FastifyReply>();
  // Open feeds never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const r of streams) r.raw.end();
  });

  app.get(
    '/approvals/stream',
    {
      schema: {
        summary:
          'Live approvals (text/event-stream): ready {pending}, then approval.requested / updated / decided',
        tags: ['approvals'],
        querystring: { type: 'object', additionalProperties: false, properties: {} },
      },
    },
    async (req, reply) => {
      // A plain GET would wait forever on a body that never ends: ask for the stream explicitly.
      if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
        throw new AppError(
          'bad_request',
          'this is a server-sent event stream: send Accept: text/event-stream',
        );
      }
      const pending = (await listApprovals(deps.db, { status: 'pending', limit: 500 })).map(toApprovalWire);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      streams.add(reply);
      const write = (event: string, data: unknown) => {
        if (!res.destroyed && !res.writableEnded)
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      write('ready', { pending });
      const unsubscribe = deps.approvals.subscribe((change) => {
        write(change.type, { type: change.type, approval: change.approval } satisfies ApprovalStreamEvent);
      });
      const heartbeat = setInterval(() => {
        if (!res.destroyed) res.write(': ping\n\n');
      }, deps.heartbeatMs ?? 15_000);
      heartbeat.unref();
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(reply);
      });
    },
  );
}
