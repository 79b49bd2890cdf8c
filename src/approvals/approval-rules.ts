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
 * The lowest role allowed to decide. A rule naming roles allows those roles and every role above them
 * (an owner can do what an admin can); viewer is raised to member. A list of names none of which is a
 * role fails closed: only the owner decides.
 */
export function requiredApproverRole(approverRoles: readonly string[] | undefined): Role {
  if (!approverRoles || approverRoles.length === 0) return MIN_APPROVER_ROLE;
  const known = approverRoles.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  if (known.length === 0) return 'owner';
  const lowest = known.reduce((a, b) => (ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b));
  return roleAtLeast(lowest, MIN_APPROVER_ROLE) ? lowest : MIN_APPROVER_ROLE;
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
