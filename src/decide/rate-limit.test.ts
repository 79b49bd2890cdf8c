import { describe, expect, it } from 'vitest';
import type { RateLimitRule } from './policy-types.js';
import { RateLimiter, rateLimitRuleProblem } from './rate-limit.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const perAgent: RateLimitRule = { id: 'r1', agent: '*', rate: 2, burst: 3 };

describe('RateLimiter', () => {
  it('allows a burst, then refuses with Retry-After until a token refills', () => {
    const c = clock();
    const rl = new RateLimiter([perAgent], c.now);
    for (let i = 0; i < 3; i++)
      expect(rl.check('a', 'stripe', 'stripe.charge.create')).toEqual({ allowed: true });
    expect(rl.check('a', 'stripe', 'stripe.charge.create')).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
      rule: perAgent,
    });
    c.advance(499);
    expect(rl.check('a', 'stripe', 'x.y').allowed).toBe(false);
    c.advance(1);
    expect(rl.check('a', 'stripe', 'x.y').allowed).toBe(true);
    expect(rl.check('a', 'stripe', 'x.y').allowed).toBe(false);
  });

  it('gives every agent its own bucket under a * rule', () => {
    const rl = new RateLimiter([{ ...perAgent, burst: 1 }], clock().now);
    expect(rl.check('a', 's', 's.x').allowed).toBe(true);
    expect(rl.check('a', 's', 's.x').allowed).toBe(false);
    expect(rl.check('b', 's', 's.x').allowed).toBe(true);
  });

  it('narrows by agent, connector and action pattern', () => {
    const rule: RateLimitRule = {
      id: 'r',
      agent: 'a',
      connector: 'stripe',
      action: 'stripe.refund.*',
      rate: 1,
      burst: 1,
    };
    const rl = new RateLimiter([rule], clock().now);
    expect(rl.check('a', 'stripe', 'stripe.refund.create').allowed).toBe(true);
    expect(rl.check('a', 'stripe', 'stripe.refund.create').allowed).toBe(false);
    expect(rl.check('b', 'stripe', 'stripe.refund.create').allowed).toBe(true);
    expect(rl.check('a', 'github', 'stripe.refund.create').allowed).toBe(true);
    expect(rl.check('a', 'stripe', 'stripe.charge.create').allowed).toBe(true);
  });

  it('needs a token from every applicable rule and takes none when one is empty', () => {
    const wide: RateLimitRule = { id: 'wide', agent: '*', rate: 1, burst: 10 };
    const narrow: RateLimitRule = {
      id: 'narrow',
      agent: '*',
      action: 'stripe.refund.*',
      rate: 0.1,
      burst: 1,
    };
    const c = clock();
    const rl = new RateLimiter([wide, narrow], c.now);
    expect(rl.check('a', 's', 'stripe.refund.create').allowed).toBe(true);
    // narrow is empty: refused, and wide keeps its tokens (9 left).
    expect(rl.check('a', 's', 'stripe.refund.create')).toEqual({
      allowed: false,
      retryAfterSeconds: 10,
      rule: narrow,
    });
    for (let i = 0; i < 9; i++) expect(rl.check('a', 's', 'stripe.charge.create').allowed).toBe(true);
    const refused = rl.check('a', 's', 'stripe.refund.create');
    expect(refused.allowed).toBe(false);
    // Both empty: the answer names the rule with the longest wait.
    if (!refused.allowed) expect(refused.rule.id).toBe('narrow');
  });

  it('keeps bucket state across update() when the rule id survives, clamped to the new burst', () => {
    const c = clock();
    const rl = new RateLimiter([{ ...perAgent, burst: 5 }], c.now);
    for (let i = 0; i < 5; i++) rl.check('a', 's', 's.x');
    rl.update([{ ...perAgent, burst: 5, rate: 1 }]);
    expect(rl.check('a', 's', 's.x').allowed).toBe(false);
    rl.update([{ ...perAgent, id: 'renamed', burst: 5 }]);
    expect(rl.check('a', 's', 's.x').allowed).toBe(true);
  });

  it('drops buckets of agents that are gone or no longer covered', () => {
    const c = clock();
    const rl = new RateLimiter([perAgent], c.now);
    rl.check('a', 's', 's.x');
    rl.check('b', 's', 's.x');
    expect(rl.bucketCount).toBe(2);
    rl.update([perAgent], ['a']);
    expect(rl.bucketCount).toBe(1);
    rl.update([{ ...perAgent, agent: 'z' }]);
    expect(rl.bucketCount).toBe(0);
  });

  it('sweeps refilled buckets so memory follows active agents only', () => {
    const c = clock();
    const rl = new RateLimiter([perAgent], c.now);
    for (let i = 0; i < 5000; i++) rl.check(`agent-${i}`, 's', 's.x');
    expect(rl.bucketCount).toBeLessThanOrEqual(5000);
    c.advance(10_000);
    rl.sweep();
    expect(rl.bucketCount).toBe(0);
  });

  it('ignores a clock that steps back and unusable rules', () => {
    const c = clock();
    const rl = new RateLimiter(
      [
        { ...perAgent, burst: 1 },
        { id: 'bad', agent: '*', rate: 0, burst: 1 },
      ],
      c.now,
    );
    expect(rl.check('a', 's', 's.x').allowed).toBe(true);
    c.advance(-60_000);
    expect(rl.check('a', 's', 's.x').allowed).toBe(false);
    expect(rateLimitRuleProblem({ id: 'bad', agent: '*', rate: 0, burst: 1 })).toBe('rate must be > 0');
    expect(rateLimitRuleProblem({ id: 'x', agent: '*', rate: 1, burst: 0.5 })).toContain('burst');
  });

  it('handles fractional refills exactly enough', () => {
    const c = clock();
    const rl = new RateLimiter([{ id: 'r', agent: '*', rate: 10, burst: 1 }], c.now);
    expect(rl.check('a', 's', 's.x').allowed).toBe(true);
    for (let i = 0; i < 50; i++) {
      c.advance(100);
      expect(rl.check('a', 's', 's.x').allowed).toBe(true);
    }
  });
});
