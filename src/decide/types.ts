// Inputs and outputs of deciding. A decision is data with its reasons in words; only the edges turn
// it into a status code (src/errors/codes.ts).
import type { Risk } from '../connectors/types.js';

export type Verdict = 'allow' | 'deny' | 'require_approval';
export type AgentMode = 'enforce' | 'monitor';

export interface AgentView {
  name: string;
  mode: AgentMode;
  labels: Record<string, string>;
}

export interface PermissionRule {
  id: string;
  agent: string;
  connector: string; // connector name
  action: string; // pattern: dot-separated, `*` one segment, final `*` the rest
  decision: Verdict;
}

export type KillSwitchScope = 'all' | `agent:${string}` | `connector:${string}`;

export interface KillSwitchEntry {
  scope: KillSwitchScope;
  reason?: string | undefined;
  activatedAt: string;
}

/** What is being decided. */
export interface DecisionRequest {
  agent: AgentView;
  connector: { name: string; type: string };
  action: string;
  params: Record<string, unknown>;
  risk: Risk;
  method: string;
  host: string;
  path: string;
  now: Date;
}

export type DecisionCode =
  | 'allowed'
  | 'kill_switch_active'
  | 'permission_denied'
  | 'policy_denied'
  | 'approval_required';

export interface MatchedRule {
  policy: string;
  rule: string;
  decision: Verdict;
  reason: string;
  riskScore?: number | undefined;
  monitor: boolean; // the policy is in monitor mode: recorded, does not change the outcome
  /** The rule's approval settings (used when the decision is require_approval). */
  approval?: ApprovalSettings | undefined;
}

export interface ApprovalSettings {
  timeoutSeconds?: number | undefined;
  approverRoles?: string[] | undefined;
}

export interface Decision {
  verdict: Verdict;
  code: DecisionCode;
  /** Human-readable reasons, most important first (which permission, which rules). */
  reasons: string[];
  permission?: PermissionRule | undefined;
  matchedRules: MatchedRule[];
  riskScore?: number | undefined;
  approval?: ApprovalSettings | undefined;
  /**
   * Set when the agent is in monitor mode and the verdict is not allow: the request is forwarded
   * anyway and this records what enforce mode would have done.
   */
  wouldHave?: Verdict | undefined;
}
