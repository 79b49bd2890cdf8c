import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from './secret.js';

describe('Secret', () => {
  it('never prints its value by accident', () => {
    const s = new Secret('sk-live-PLANTED');
    expect(String(s)).toBe('[redacted]');
    expect(`${s}`).toBe('[redacted]');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect({ s })).not.toContain('PLANTED');
    expect(s.reveal()).toBe('sk-live-PLANTED');
  });
  it('shows the last four characters only for long secrets', () => {
    expect(new Secret('ghp_0123456789abcdef').lastFour()).toBe('cdef');
    expect(new Secret('short').lastFour()).toBe('');
  });
});
