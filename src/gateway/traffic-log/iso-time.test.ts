import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('writes what toISOString writes, across seconds, in any order', () => {
    const times = [
      0, 1, 999, 1_000, 1_001, 59_999, 60_000, 1_700_000_000_000, 1_700_000_000_999, 1_700_000_001_000,
      1_699_999_999_999, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999 /* 9999-12-31 */,
    ];
    let seed = 7;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 48_271) % 2_147_483_647;
      times.push(1_700_000_000_000 + (seed % 5_000_000));
    }
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });

  it('formats years outside 0000-9999 and refuses an invalid time like toISOString', () => {
    for (const t of [-1, -62_198_755_200_001, 253_402_300_800_000, 8.64e15])
      expect(isoTime(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
