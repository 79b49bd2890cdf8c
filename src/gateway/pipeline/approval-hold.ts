// The one place a require_approval decision waits. Approvals arrive with a later issue; until then the
// hold answers at once with 403 approval_required. Replacing this function (holding the request open
// until the control plane decides, bounded by the hold timeout) changes nothing else in the pipeline.
import type { ActionMatch } from '../../connectors/types.js';
import { decisionDetail } from '../../decide/decide.js';
import type { Decision } from '../../decide/types.js';
import type { ErrorCode } from '../../errors/codes.js';
import type { SnapshotAgent, SnapshotConnector } from '../../sync/snapshot.js';

export interface HoldRequest {
  requestId: string;
  agent: SnapshotAgent;
  connector: SnapshotConnector;
  match: ActionMatch;
  decision: Decision;
  method: string;
  host: string;
  path: string;
}

export type HoldOutcome =
  | { verdict: 'allow'; approvalId?: string | undefined }
  | { verdict: 'deny'; code: ErrorCode; detail: string; approvalId?: string | undefined };

/** `signal` aborts when the agent disconnects: a held request whose client left is dropped. */
export type HoldForApproval = (request: HoldRequest, signal: AbortSignal) => Promise<HoldOutcome>;

export const refuseApprovalRequired: HoldForApproval = async (request) => ({
  verdict: 'deny',
  code: 'approval_required',
  detail:
    `${request.match.action} requires approval (${decisionDetail(request.decision)}); ` +
    'this gateway cannot hold requests for approval yet, so the request was not sent',
});
