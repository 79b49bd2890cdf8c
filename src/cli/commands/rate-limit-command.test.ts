import { describe, expect, it } from 'vitest';
import { parseBurst, parseRate } from './rate-limit-command.js';

describe('rate-limit flags', () => {
  it('reads rates per second, minute or hour', () => {
    expect(parseRate('5')).toBe(5);
    expect(parseRate('0.5')).toBe(0.5);
    expect(parseRate('30/m')).toBe(0.5);
    expect(parseRate('36/h')).toBe(0.01);
  });

  it.each(['0', '-1', 'fast', '5/d', ''])('refuses the rate %j', (v) => {
    expect(() => parseRate(v)).toThrow(/invalid --rate/);
  });

  it('reads whole bursts of at least 1', () => {
    expect(parseBurst('1')).toBe(1);
    for (const v of ['0', '1.5', 'x', '2000000']) expect(() => parseBurst(v)).toThrow(/invalid --burst/);
  });
});
