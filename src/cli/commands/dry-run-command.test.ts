import { describe, expect, it } from 'vitest';
import type { DryRunAnswer } from '../../wire/dry-run.js';
import { CliError } from '../cli-error.js';
import { dryRunBody, dryRunText, parseHeaders } from './dry-run-command.js';

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('dryRunBody', () => {
  it('builds a request body, reading --body from a file and repeating headers', () => {
    const body = dryRunBody(
      {
        agent: 'pay-bot',
        method: 'post',
        url: 'https://api.stripe.com/v1/refunds',
        header: ['Content-Type: application/x-www-form-urlencoded', 'X-A: 1', 'x-a: 2'],
        body: 'refund.txt',
      },
      (path) => `contents of ${path}`,
    );
    expect(body).toEqual({
      agent: 'pay-bot',
      method: 'POST',
      url: 'https://api.stripe.com/v1/refunds',
      headers: { 'content-type': ['application/x-www-form-urlencoded'], 'x-a': ['1', '2'] },
      body: 'contents of refund.txt',
    });
  });

  it('builds an action body with JSON params', () => {
    expect(
      dryRunBody({
        agent: 'a',
        action: 'stripe.refund.create',
        params: '{"amount": 6000}',
        connector: 'stripe',
      }),
    ).toEqual({ agent: 'a', action: 'stripe.refund.create', params: { amount: 6000 }, connector: 'stripe' });
  });

  it('refuses flags that do not go together, as usage errors', () => {
    expect(usageError(() => dryRunBody({ agent: 'a' }))).toMatch(/either a request/);
    expect(usageError(() => dryRunBody({ agent: 'a', url: 'https://x', action: 'a.b' }))).toMatch(/either/);
    expect(usageError(() => dryRunBody({ agent: 'a', url: 'https://x', params: '{}' }))).toMatch(
      /--params goes with --action/,
    );
    expect(usageError(() => dryRunBody({ agent: 'a', action: 'a.b', method: 'GET' }))).toMatch(
      /--method goes with --url/,
    );
    expect(usageError(() => dryRunBody({ agent: 'a', action: 'a.b', params: '{nope' }))).toMatch(/not JSON/);
    expect(usageError(() => dryRunBody({ agent: 'a', action: 'a.b', params: '[1]' }))).toMatch(/JSON object/);
    expect(usageError(() => parseHeaders(['no colon here']))).toMatch(/Name: value/);
  });
});

describe('dryRunText', () => {
  it('prints the verdict, the permission, every matched rule and every reason', () => {
    const answer: DryRunAnswer = {
      verdict: 'require_approval',
      code: 'approval_required',
      reasons: ['policy p / rule big → require_approval: too big', 'permission #3 (…) → allow'],
      permission: { id: '3', agent: 'pay-bot', connector: 'stripe', action: 'stripe.*', decision: 'allow' },
      matched_rules: [
        {
          policy: 'p',
          rule: 'big',
          decision: 'require_approval',
          reason: 'too big',
          risk_score: null,
          monitor: false,
        },
      ],
      action: 'stripe.refund.create',
      params: { amount: 6000 },
      risk: 'high',
      connector: { name: 'stripe', type: 'stripe' },
      request: { method: 'POST', host: 'api.stripe.com', path: '/v1/refunds' },
      approval: { timeout_seconds: 60, approver_roles: ['admin'] },
      rate_limits: [{ id: 'rl1', rate: 2, burst: 5, connector: 'stripe', action: null }],
      decided_at: '2026-01-01T00:00:00.000Z',
    };
    const text = dryRunText(answer);
    expect(text).toContain('verdict     require_approval (approval_required)');
    expect(text).toContain('permission  #3 pay-bot / stripe / stripe.* → allow');
    expect(text).toMatch(/^ {2}p\s+big\s+require_approval\s+no\s+too big$/m);
    expect(text).toContain('  2. permission #3 (…) → allow');
    expect(text).toContain('rate limit  2/s, burst 5 on stripe');
    expect(text).toContain('nothing was sent (dry run)');
  });

  it('escapes control characters that came from the request', () => {
    const text = dryRunText({
      verdict: 'deny',
      code: 'connector_not_found',
      reasons: ['no connector covers evil\u001b[31m:443'],
      permission: null,
      matched_rules: [],
      action: null,
      params: null,
      risk: null,
      connector: null,
      request: { method: 'GET', host: 'evil', path: '/\u001b' },
      rate_limits: [],
      decided_at: '2026-01-01T00:00:00.000Z',
    });
    expect(text).not.toContain('\u001b');
    expect(text).toContain('permission  none matched');
  });
});
