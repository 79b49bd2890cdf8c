// The gateway's side of approvals on the control plane (service token only, see ../route-roles.ts):
// open or join an approval for a held request, ask before releasing one, report the kill switch
// entries set on the gateway itself, and the `approval` events its stream carries back.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type {
  ApprovalUpdateMessage,
  HoldAnswerMessage,
  HoldRequestMessage,
  LocalKillSwitchMessage,
  UseAnswerMessage,
} from '../../sync/approval-messages.js';
import type { ApprovalWire } from '../../wire/approvals.js';
import { ensureGateway } from '../gateways/gateway-store.js';
import { type ApprovalService, KILL_SWITCH_NOTE } from './approval-service.js';
import { recentGatewayApprovals } from './approval-store.js';
import { toApprovalWire } from './approval-wire.js';

const GATEWAY_NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';
const APPROVAL_ID = '^apv_[0-9a-f]{20}$';
/** Decisions this recent are re-sent when a gateway's stream opens (longer than the longest hold). */
const RESEND_WINDOW_MS = 10 * 60_000;

export interface GatewayApprovalDeps {
  db: Kysely<LocalDatabase>;
  approvals: ApprovalService;
  now: () => Date;
}

const str = (maxLength: number) => ({ type: 'string', maxLength });

export function registerGatewayApprovalRoutes(app: FastifyInstance, deps: GatewayApprovalDeps): void {
  app.post(
    '/internal/gateway/approvals',
    {
      schema: {
        summary: 'Gateway link: open or join the approval of a held request (service token)',
        tags: ['internal'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: [
            'gateway',
            'agent',
            'action',
            'connector',
            'connector_type',
            'method',
            'host',
            'path',
            'params',
            'reasons',
            'approver_roles',
            'digest',
            'request_id',
          ],
          properties: {
            gateway: { type: 'string', pattern: GATEWAY_NAME },
            agent: str(200),
            action: str(300),
            connector: str(200),
            connector_type: str(100),
            method: str(20),
            host: str(300),
            path: str(4096),
            params: { type: 'object' },
            reasons: { type: 'array', maxItems: 50, items: str(2000) },
            approver_roles: { type: 'array', maxItems: 10, items: str(64) },
            digest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            request_id: str(100),
          },
        },
      },
    },
    async (req): Promise<HoldAnswerMessage> => {
      const b = req.body as HoldRequestMessage;
      const gw = await ensureGateway(deps.db, b.gateway);
      const found = await deps.approvals.request({
        source: 'proxy',
        gatewayId: gw.id,
        gatewayName: gw.name,
        agent: b.agent,
        action: b.action,
        connector: b.connector,
        connectorType: b.connector_type,
        method: b.method,
        host: b.host,
        path: b.path,
        params: b.params,
        reasons: b.reasons,
        approverRoles: b.approver_roles,
        digest: b.digest,
      });
      if (found.kind === 'granted')
        return { result: 'granted', grant_id: found.grant.id, approval_id: found.grant.approval_id };
      if (found.kind === 'approved') return { result: 'approved', approval_id: found.approval.id };
      return {
        result: 'pending',
        approval_id: found.approval.id,
        joined: found.joined,
        expires_at: found.approval.expires_at,
      };
    },
  );

  app.post(
    '/internal/gateway/approvals/:id/use',
    {
      schema: {
        summary: 'Gateway link: spend an approved approval to release a held request (service token)',
        tags: ['internal'],
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: { id: { type: 'string', pattern: APPROVAL_ID } },
        },
      },
    },
    async (req): Promise<UseAnswerMessage> => deps.approvals.use((req.params as { id: string }).id),
  );

  app.put(
    '/internal/gateway/kill-switch',
    {
      schema: {
        summary: 'Gateway link: the kill switch entries a gateway set on its own (service token)',
        tags: ['internal'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['gateway', 'entries'],
          properties: {
            gateway: { type: 'string', pattern: GATEWAY_NAME },
            entries: {
              type: 'array',
              maxItems: 1000,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['scope', 'reason', 'activated_at'],
                properties: {
                  scope: str(200),
                  reason: { type: ['string', 'null'], maxLength: 1000 },
                  activated_at: str(40),
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const b = req.body as LocalKillSwitchMessage;
      const gw = await ensureGateway(deps.db, b.gateway);
      const denied = await deps.approvals.gatewayKillSwitchReported(
        gw,
        b.entries.map((e) => ({ scope: e.scope, reason: e.reason, activatedAt: e.activated_at })),
      );
      return { denied };
    },
  );
}

/**
 * What a gateway's stream carries besides snapshots: first every approval of that gateway that is
 * pending or was decided lately (`approvals`), then each decision as it happens (`approval`).
 */
export function approvalStreamEvents(deps: GatewayApprovalDeps) {
  return (gatewayId: string, send: (event: string, data: unknown) => void): (() => void) => {
    const unsubscribe = deps.approvals.subscribe((change) => {
      if (change.gatewayId !== gatewayId || change.type !== 'approval.decided') return;
      send('approval', updateOf(change.approval, change.killSwitch));
    });
    const resend = () => {
      const since = new Date(deps.now().getTime() - RESEND_WINDOW_MS).toISOString();
      void recentGatewayApprovals(deps.db, gatewayId, since)
        .then((rows) => {
          const updates = rows.map((r) => {
            const w = toApprovalWire(r);
            return updateOf(w, w.note?.startsWith(KILL_SWITCH_NOTE) === true);
          });
          send('approvals', updates);
        })
        .catch(() => undefined);
    };
    // Decisions made by another process while the change feed was down reach the gateway this way.
    const stopResync = deps.approvals.onResync(resend);
    resend();
    return () => {
      unsubscribe();
      stopResync();
    };
  };
}

function updateOf(a: ApprovalWire, killSwitch: boolean): ApprovalUpdateMessage {
  return { id: a.id, status: a.status, decided_by: a.decided_by, note: a.note, kill_switch: killSwitch };
}
