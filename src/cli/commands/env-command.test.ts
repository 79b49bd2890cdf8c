import { describe, expect, it } from 'vitest';
import { timeUntil } from './env-command.js';

describe('timeUntil', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('says hours and minutes, or minutes alone', () => {
    expect(timeUntil('2026-01-01T12:00:00Z', now)).toBe('in 12h 0m');
    expect(timeUntil('2026-01-01T01:30:00Z', now)).toBe('in 1h 30m');
    expect(timeUntil('2026-01-01T00:05:00Z', now)).toBe('in 5m');
    expect(timeUntil('2025-12-31T00:00:00Z', now)).toBe('in 0m');
  });
});
