import { describe, expect, it } from 'vitest';
import { parseGrantDuration } from './grant-duration.js';

describe('grant durations', () => {
  it('are minutes, written the way people say them, from a minute to a day', () => {
    expect(parseGrantDuration('30')).toBe(30);
    expect(parseGrantDuration('30m')).toBe(30);
    expect(parseGrantDuration('2h')).toBe(120);
    expect(parseGrantDuration('1h30m')).toBe(90);
    expect(parseGrantDuration('1d')).toBe(1440);
    for (const bad of ['', '0', '90s', '2d', 'soon', '1.5h', 'h', '-5']) {
      expect(typeof parseGrantDuration(bad), bad).toBe('string');
    }
  });
});
