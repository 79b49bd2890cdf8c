// SDK mode's pending requests as real approvals: the ActionApprovals seam over the approvals service
// (src/control/approvals). An SDK request needing approval opens (or joins) an approval with source
// `sdk`, decided like any other (dashboard, `tameflare approvals approve`, the API); a grant for the
// agent and action, or an approved identical request not yet used, answers it at once.
//
// Threat model: one approval lets one action through. Spending goes through the service's `use`,
// the same single-use check a gateway's held request passes, so an approval cannot release both a
// held proxy request and an SDK token.
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import { getApproval } from '../approvals/approval-store.js';
import type { ActionApprovals, ApprovalState } from './action-approvals.js';

export function serviceActionApprovals(service: ApprovalService, db: Kysely<LocalDatabase>): ActionApprovals {
  return {
    async open(input) {
      const found = await service.request({
        source: 'sdk',
        gatewayId: input.gatewayId,
        gatewayName: input.gatewayName,
        agent: input.agent,
        action: input.action,
        connector: input.connector,
        connectorType: input.connectorType,
        // An SDK request is an action, not an HTTP request: no method, host or path to show.
        method: null,
        host: null,
        path: null,
        params: input.params,
        reasons: input.reasons,
        approverRoles: input.approverRoles,
        digest: input.digest,
      });
      if (found.kind === 'granted') return { approvalId: found.grant.approval_id, state: 'approved' };
      if (found.kind === 'approved') return { approvalId: found.approval.id, state: 'approved' };
      return { approvalId: found.approval.id, state: 'pending' };
    },
    async state(approvalId) {
      const row = await getApproval(db, approvalId);
      return stateOf(row?.status);
    },
    async use(approvalId) {
      return (await service.use(approvalId)).ok;
    },
  };
}

function stateOf(status: string | undefined): ApprovalState {
  switch (status) {
    case 'pending':
      return 'pending';
    case 'approved':
      return 'approved';
    case 'denied':
    case 'cancelled':
      return 'denied';
    default:
      // expired, or gone: nothing will ever approve it.
      return 'expired';
  }
}
