import { describe, expect, it } from 'vitest';
import {
  canMove,
  checkDecision,
  HOLD_CAP_SECONDS,
  holdSeconds,
  requiredApproverRole,
} from './approval-rules.js';

const now = new Date('2030-01-01T00:00:00Z');
const pending = {
  id: 'apv_x',
  status: 'pending' as const,
  expiresAt: '2030-01-01T01:00:00.000Z',
  approverRoles: [],
};

describe('approval rules', () => {
  it('moves only out of pending, once', () => {
    for (const to of ['approved', 'denied', 'expired', 'cancelled'] as const)
      expect(canMove('pending', to)).toBe(true);
    expect(canMove('approved', 'denied')).toBe(false);
    expect(canMove('denied', 'approved')).toBe(false);
    expect(canMove('pending', 'pending')).toBe(false);
  });

  it('holds for the rule, else the global timeout, always below 300 s', () => {
    expect(holdSeconds(undefined, 120)).toBe(120);
    expect(holdSeconds(5, 120)).toBe(5);
    expect(holdSeconds(1000, 120)).toBe(HOLD_CAP_SECONDS);
    expect(holdSeconds(undefined, 600)).toBe(299);
    expect(holdSeconds(0, 120)).toBe(1);
  });

  it('asks for the highest role named (the strictest of merged rules), never below member; unknown names fail closed', () => {
    expect(requiredApproverRole(undefined)).toBe('member');
    expect(requiredApproverRole([])).toBe('member');
    expect(requiredApproverRole(['admin'])).toBe('admin');
    expect(requiredApproverRole(['member', 'admin'])).toBe('admin');
    expect(requiredApproverRole(['owner', 'admin'])).toBe('owner');
    expect(requiredApproverRole(['viewer'])).toBe('member');
    expect(requiredApproverRole(['finance'])).toBe('owner');
    expect(requiredApproverRole(['finance', 'member'])).toBe('owner');
  });

  it('checks status, expiry and role', () => {
    expect(checkDecision(pending, 'member', now)).toEqual({ ok: true });
    expect(checkDecision(pending, 'viewer', now)).toMatchObject({
      ok: false,
      code: 'insufficient_role',
      requiredRole: 'member',
    });
    expect(checkDecision({ ...pending, approverRoles: ['admin'] }, 'member', now)).toMatchObject({
      code: 'insufficient_role',
      requiredRole: 'admin',
    });
    expect(checkDecision({ ...pending, approverRoles: ['admin'] }, 'owner', now)).toEqual({ ok: true });
    expect(checkDecision({ ...pending, status: 'denied' }, 'owner', now)).toMatchObject({ code: 'conflict' });
    expect(checkDecision(pending, 'owner', new Date('2030-01-01T01:00:00Z'))).toMatchObject({
      code: 'conflict',
    });
  });
});
