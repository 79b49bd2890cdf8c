// How a hold ends, as the pipeline takes it: allow (with the body read, to forward) or a problem to
// answer with, and the `action.*` event type the request's audit event gets.
import { KILL_SWITCH_HEADER } from '../../decide/outcome.js';
import type { HoldOutcome } from '../pipeline/approval-hold.js';

export type Deny = Extract<HoldOutcome, { verdict: 'deny' }>;

export function allow(
  body: Buffer | undefined,
  reason: string,
  approvalId: string,
  via: 'approved' | 'granted' | 'retry',
): HoldOutcome {
  return {
    verdict: 'allow',
    body,
    reason,
    approvalId,
    via,
    event: via === 'granted' ? 'action.allowed' : 'action.approved',
  };
}

export function deny(
  code: Deny['code'],
  detail: string,
  extra: { approvalId?: string; headers?: Record<string, string>; close?: boolean } = {},
): Deny {
  return { verdict: 'deny', code, detail, event: 'action.denied', ...extra };
}

export function unavailable(detail: string, approvalId?: string): Deny {
  return deny('approval_unavailable', detail, {
    headers: { 'Retry-After': '30' },
    ...(approvalId ? { approvalId } : {}),
  });
}

export function killSwitchDeny(detail: string, approvalId: string): Deny {
  return deny('kill_switch_active', detail, { approvalId, headers: { [KILL_SWITCH_HEADER]: 'active' } });
}
