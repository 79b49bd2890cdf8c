// The approval state machine and its rules, pure: which statuses exist and which moves are legal,
// who may decide (the rule's approver roles, never below member), how long a request is held, how
// long an approval lives and how long a grant may last. Stores and transports only apply these.
import { ROLES, type Role, roleAtLeast } from '../control/accounts/roles.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** Holds end below the 300 s after which common HTTP clients give up (SPEC 7). */
export const HOLD_CAP_SECONDS = 299;
export { MAX_GRANT_MINUTES } from '../wire/approvals.js';
/** Deciding is a member's right at least (SPEC 5.2: viewers read, members also approve). */
export const MIN_APPROVER_ROLE: Role = 'member';

const MOVES: Record<ApprovalStatus, readonly ApprovalStatus[]> = {
  pending: ['approved', 'denied', 'expired', 'cancelled'],
  approved: [],
  denied: [],
  expired: [],
  cancelled: [],
};

export function canMove(from: ApprovalStatus, to: ApprovalStatus): boolean {
  return MOVES[from].includes(to);
}

export function isApprovalStatus(value: unknown): value is ApprovalStatus {
  return typeof value === 'string' && (APPROVAL_STATUSES as readonly string[]).includes(value);
}

/** How long the gateway holds the request: the rule's timeout, else the global one, capped below 300 s. */
export function holdSeconds(ruleSeconds: number | undefined, globalSeconds: number): number {
  const wanted = ruleSeconds ?? globalSeconds;
  return Math.max(1, Math.min(HOLD_CAP_SECONDS, Math.floor(wanted)));
}

/**
 * The lowest role allowed to decide: the highest role the rule names (roles are ordered, so naming
 * admin already lets owners decide), and never below member. When several rules hold one request
 * their lists are merged (docs/policies.md), so taking the highest keeps the strictest rule's bar.
 * A name that is no role cannot be met by anyone below the owner: it fails closed.
 */
export function requiredApproverRole(approverRoles: readonly string[] | undefined): Role {
  let required: Role = MIN_APPROVER_ROLE;
  for (const name of approverRoles ?? []) {
    const role: Role = (ROLES as readonly string[]).includes(name) ? (name as Role) : 'owner';
    if (!roleAtLeast(required, role)) required = role;
  }
  return required;
}

export interface DecidableApproval {
  id: string;
  status: ApprovalStatus;
  expiresAt: string;
  approverRoles: readonly string[];
}

export type DecisionCheck =
  | { ok: true }
  | { ok: false; code: 'conflict'; message: string }
  | { ok: false; code: 'insufficient_role'; message: string; requiredRole: Role };

/** Whether `role` may decide this approval now. */
export function checkDecision(approval: DecidableApproval, role: Role, now: Date): DecisionCheck {
  if (approval.status !== 'pending') {
    return { ok: false, code: 'conflict', message: `approval ${approval.id} is already ${approval.status}` };
  }
  if (approval.expiresAt <= now.toISOString()) {
    return {
      ok: false,
      code: 'conflict',
      message: `approval ${approval.id} expired at ${approval.expiresAt}`,
    };
  }
  const required = requiredApproverRole(approval.approverRoles);
  if (!roleAtLeast(role, required)) {
    return {
      ok: false,
      code: 'insufficient_role',
      message: `deciding approval ${approval.id} needs the ${required} role; you are ${role}`,
      requiredRole: required,
    };
  }
  return { ok: true };
}
