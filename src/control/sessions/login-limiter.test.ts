import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';

const LIMITS = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 };

function limiter() {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const l = new LoginLimiter(() => new Date(t), LIMITS);
  return { l, advance: (ms: number) => (t += ms) };
}

describe('LoginLimiter', () => {
  it('locks an account after 5 failures until the oldest leaves the window', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 5; i++) {
      expect(l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(0);
      l.failed('1.1.1.1', 'a@x');
      advance(60_000);
    }
    // First failure at 0, now 5 min: it leaves the window at 15 min.
    expect(l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(10 * 60);
    expect(l.retryAfterSeconds('2.2.2.2', 'a@x')).toBe(10 * 60);
    expect(l.retryAfterSeconds('1.1.1.1', 'b@x')).toBe(0);
    advance(10 * 60_000);
    expect(l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(0);
  });

  it('counts unknown accounts like known ones', () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) l.failed('1.1.1.1', 'nobody@x');
    expect(l.retryAfterSeconds('3.3.3.3', 'nobody@x')).toBeGreaterThan(0);
  });

  it('throttles one address spraying many accounts', () => {
    const { l } = limiter();
    for (let i = 0; i < 20; i++) l.failed('9.9.9.9', `spray${i}@x`);
    expect(l.retryAfterSeconds('9.9.9.9', 'fresh@x')).toBe(15 * 60);
    expect(l.retryAfterSeconds('8.8.8.8', 'fresh@x')).toBe(0);
  });

  it('forgets an account on success but not the address', () => {
    const { l } = limiter();
    for (let i = 0; i < 4; i++) l.failed('1.1.1.1', 'a@x');
    l.succeeded('a@x');
    for (let i = 0; i < 4; i++) l.failed('1.1.1.1', 'a@x');
    expect(l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(0);
    for (let i = 0; i < 12; i++) l.failed('1.1.1.1', `other${i}@x`);
    expect(l.retryAfterSeconds('1.1.1.1', 'a@x')).toBeGreaterThan(0);
  });
});
