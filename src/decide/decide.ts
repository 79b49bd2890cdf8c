// The one decision function (SPEC 6), shared by the gateway, SDK mode and dry run. Order: kill
// switch, permission, policies. Any enforce-mode deny wins, then require_approval, then allow.
// Monitor-mode policies are recorded without effect; a monitor-mode agent is forwarded with the
// enforce verdict kept in `wouldHave`. The kill switch binds monitor-mode agents too: it is the
// brake, not a policy being rolled out.
import { type CompiledPolicySet, evaluatePolicies } from './evaluate.js';
import { activeKillSwitch, describeKillSwitch } from './kill-switch.js';
import { describePermission, resolvePermission } from './permissions.js';
import type {
  ApprovalSettings,
  Decision,
  DecisionRequest,
  KillSwitchEntry,
  MatchedRule,
  PermissionRule,
} from './types.js';

export interface DecisionState {
  permissions: PermissionRule[];
  policies: CompiledPolicySet;
  killSwitch: KillSwitchEntry[];
}

/** Never throws: an unexpected failure is a deny that says so. */
export function decide(state: DecisionState, input: DecisionRequest): Decision {
  // A request that is not even an object decides like one with nothing in it: no permission.
  const req = input !== null && typeof input === 'object' ? input : ({} as DecisionRequest);
  try {
    const decision = decideEnforced(state, req);
    return req.agent?.mode === 'monitor' ? asMonitor(decision, req) : decision;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      verdict: 'deny',
      code: 'policy_denied',
      reasons: [`internal error while deciding, failing closed: ${message}`],
      matchedRules: [],
    };
  }
}

/** One line for a matched rule, e.g. `policy refund-limits / rule big-refunds → deny: ...`. */
export function describeMatchedRule(m: MatchedRule): string {
  const verdict = m.monitor ? `would ${m.decision} (monitor mode, not enforced)` : m.decision;
  return `policy ${m.policy} / rule ${m.rule} → ${verdict}${m.reason === '' ? '' : `: ${m.reason}`}`;
}

/**
 * The reasons as one sentence: the one wording of a decision, for a problem+json `detail`, the
 * traffic log and the outbox event. A decision without reasons is worded by its code.
 */
export function decisionDetail(decision: Decision): string {
  return decision.reasons.join('; ') || decision.code.replaceAll('_', ' ');
}

function decideEnforced(state: DecisionState, req: DecisionRequest): Decision {
  const kill = activeKillSwitch(state.killSwitch, req);
  if (kill !== undefined) {
    return {
      verdict: 'deny',
      code: 'kill_switch_active',
      reasons: [describeKillSwitch(kill)],
      matchedRules: [],
    };
  }
  const agent = req.agent?.name;
  const connector = req.connector?.name;
  const permission = resolvePermission(state.permissions ?? [], agent, connector, req.action);
  if (permission === undefined) {
    const reason = `no permission for agent ${agent} on connector ${connector} matches ${req.action} (default deny)`;
    return { verdict: 'deny', code: 'permission_denied', reasons: [reason], matchedRules: [] };
  }
  const permissionLine = describePermission(permission);
  if (permission.decision !== 'allow' && permission.decision !== 'require_approval') {
    return {
      verdict: 'deny',
      code: 'permission_denied',
      reasons: [permissionLine],
      permission,
      matchedRules: [],
    };
  }

  const matched = evaluatePolicies(state.policies, req);
  if (matched.length === 0) {
    // No policy matched (the common case): what the general path below works out, without its lists.
    return permission.decision === 'require_approval'
      ? {
          verdict: 'require_approval',
          code: 'approval_required',
          reasons: [permissionLine],
          permission,
          matchedRules: matched,
        }
      : { verdict: 'allow', code: 'allowed', reasons: [permissionLine], permission, matchedRules: matched };
  }
  const enforced = matched.filter((m) => !m.monitor);
  const denies = enforced.filter((m) => m.decision === 'deny');
  const holds = enforced.filter((m) => m.decision === 'require_approval');
  const lines = new Map(matched.map((m) => [m, describeMatchedRule(m)]));

  let decision: Decision;
  let decisive: string[];
  if (denies.length > 0) {
    decision = { verdict: 'deny', code: 'policy_denied', reasons: [], permission, matchedRules: matched };
    decisive = denies.map((m) => lines.get(m)!);
  } else if (holds.length > 0 || permission.decision === 'require_approval') {
    decision = {
      verdict: 'require_approval',
      code: 'approval_required',
      reasons: [],
      permission,
      matchedRules: matched,
    };
    decisive = holds.map((m) => lines.get(m)!);
    if (permission.decision === 'require_approval') decisive.push(permissionLine);
    const approval = approvalSettings(holds);
    if (approval !== undefined) decision.approval = approval;
  } else {
    decision = { verdict: 'allow', code: 'allowed', reasons: [], permission, matchedRules: matched };
    decisive = [permissionLine];
  }
  // Most important first: what decided, then the permission and every other match in order.
  const rest = [permissionLine, ...matched.map((m) => lines.get(m)!)].filter((l) => !decisive.includes(l));
  decision.reasons = [...decisive, ...rest];
  const risk = maxRisk(enforced);
  if (risk !== undefined) decision.riskScore = risk;
  return decision;
}

/** The strictest settings: the shortest timeout and every role any holding rule names. */
function approvalSettings(holds: readonly MatchedRule[]): ApprovalSettings | undefined {
  let timeout: number | undefined;
  const roles: string[] = [];
  for (const m of holds) {
    const t = m.approval?.timeoutSeconds;
    if (t !== undefined && (timeout === undefined || t < timeout)) timeout = t;
    for (const role of m.approval?.approverRoles ?? []) if (!roles.includes(role)) roles.push(role);
  }
  if (timeout === undefined && roles.length === 0) return undefined;
  const out: ApprovalSettings = {};
  if (timeout !== undefined) out.timeoutSeconds = timeout;
  if (roles.length > 0) out.approverRoles = roles;
  return out;
}

function maxRisk(matched: readonly MatchedRule[]): number | undefined {
  let max: number | undefined;
  for (const m of matched)
    if (m.riskScore !== undefined && (max === undefined || m.riskScore > max)) max = m.riskScore;
  return max;
}

function asMonitor(decision: Decision, req: DecisionRequest): Decision {
  if (decision.verdict === 'allow' || decision.code === 'kill_switch_active') return decision;
  const would = decision.verdict === 'deny' ? 'have been denied' : 'have required approval';
  return {
    ...decision,
    verdict: 'allow',
    wouldHave: decision.verdict,
    reasons: [
      `agent ${req.agent.name} is in monitor mode: forwarded, but would ${would} (${decision.code})`,
      ...decision.reasons,
    ],
  };
}
