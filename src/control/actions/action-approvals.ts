// The seam between SDK mode and approvals: what an action request needs from whoever keeps
// approvals. The control plane plugs the approvals service in (service-action-approvals.ts); tests
// may drive it by hand. `approvalsNotConnected` keeps requests pending (with no approval id) until
// they expire, the safe failure: nothing needing approval is ever allowed without one.
export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';

export interface ActionApprovalInput {
  agent: string;
  action: string;
  connector: string | null;
  connectorType: string | null;
  gatewayId: string;
  gatewayName: string;
  params: Record<string, unknown>;
  reasons: string[];
  approverRoles: string[];
  /** Identical SDK requests join one approval. */
  digest: string;
}

export interface ActionApprovals {
  /**
   * Opens (or joins) an approval. `approved`: something already answers this request and has been
   * spent on it (an active grant, an approved identical request not yet used); no `use` follows.
   */
  open(input: ActionApprovalInput): Promise<{ approvalId: string | null; state: ApprovalState }>;
  state(approvalId: string): Promise<ApprovalState>;
  /** Spends an approved approval (one action per approval; a grant covers many). False: not usable now. */
  use(approvalId: string): Promise<boolean>;
}

export const approvalsNotConnected: ActionApprovals = {
  open: async () => ({ approvalId: null, state: 'pending' }),
  state: async () => 'pending',
  use: async () => false,
};
