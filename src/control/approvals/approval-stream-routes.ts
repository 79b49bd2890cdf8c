// GET /v1/approvals/stream: the live feed the dashboard and `tameflare approvals watch` read. It opens
// with a `ready` event listing what is pending now, then one event per change (approval.requested,
// approval.updated when a request joins, approval.decided), and a comment line every 15 s so that
// proxies and clients can tell a quiet feed from a dead one.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { ApprovalStreamEvent } from '../../wire/approvals.js';
import { eventStreams } from '../event-stream.js';
import type { ApprovalService } from './approval-service.js';
import { listApprovals } from './approval-store.js';
import { toApprovalWire } from './approval-wire.js';

export interface ApprovalStreamDeps {
  db: Kysely<LocalDatabase>;
  approvals: ApprovalService;
  heartbeatMs?: number | undefined;
}

export function registerApprovalStreamRoutes(app: FastifyInstance, deps: ApprovalStreamDeps): void {
  const streams = eventStreams(app, deps.heartbeatMs);

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
      const pendingNow = async () =>
        (await listApprovals(deps.db, { status: 'pending', limit: 500 })).map(toApprovalWire);
      const pending = await pendingNow();
      const stream = streams.open(reply);
      stream.write('ready', { pending });
      const unsubscribe = deps.approvals.subscribe((change) => {
        stream.write(change.type, {
          type: change.type,
          approval: change.approval,
        } satisfies ApprovalStreamEvent);
      });
      // Changes made by another process while the change feed was down: a fresh `ready` replaces the list.
      const stopResync = deps.approvals.onResync(() => {
        void pendingNow()
          .then((list) => stream.write('ready', { pending: list }))
          .catch(() => undefined);
      });
      stream.onClose(() => {
        unsubscribe();
        stopResync();
      });
    },
  );
}
