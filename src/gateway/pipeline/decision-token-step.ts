// SDK mode at the gateway (SPEC 5.4): a request that would be held for approval and carries
// `X-TameFlare-Decision-Token` passes without a hold when the token is valid, unused, and was issued
// for this agent, this action and exactly these parameters. Only require_approval is satisfied this
// way: a token never turns a deny into an allow. The check itself (signature against the control
// plane's published keys, spending the nonce through the control plane) is src/tokens/
// decision-token-redeemer.ts; when the control plane cannot be reached the token is ignored and the
// request is held as if it had none.
import type { ActionMatch } from '../../connectors/types.js';
import type { SnapshotAgent } from '../../sync/snapshot.js';
import type { RequestRecord } from './request-record.js';

export const DECISION_TOKEN_HEADER = 'x-tameflare-decision-token';

export type DecisionTokenCheck = (
  token: string,
  expect: { agent: string; action: string; params: Record<string, unknown> },
) => Promise<{ ok: true; actionRequestId: string } | { ok: false; reason: string }>;

/** True when the token stands in for the approval; the traffic row and its event then say so. */
export async function approvedByDecisionToken(
  check: DecisionTokenCheck,
  token: string,
  request: { record: RequestRecord; agent: SnapshotAgent; match: ActionMatch },
): Promise<boolean> {
  const { record, agent, match } = request;
  const result = await check(token, { agent: agent.name, action: match.action, params: match.params });
  if (!result.ok) return false;
  const reason = `require_approval satisfied by a decision token (action request ${result.actionRequestId})`;
  record.entry.decision = 'allow';
  record.entry.reason = reason;
  record.eventType = 'action.allowed';
  return true;
}
