import { describe, expect, it } from 'vitest';
import { newRequestId } from './request-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newRequestId', () => {
  it('is a UUIDv7 carrying the time it was made', () => {
    const at = Date.UTC(2026, 10, 30, 9, 30, 0, 123);
    const id = newRequestId(at);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
    expect(newRequestId()).toMatch(V7);
  });

  it('sorts by time, whatever its random part', () => {
    const times = [0, 1, 255, 256, 0xffffff, 0x1000000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 48 - 1];
    const ids = times.map((t) => newRequestId(t));
    for (const id of ids) expect(id).toMatch(V7);
    expect([...ids].sort()).toEqual(ids);
  });

  it('does not repeat within one millisecond, across refills of its random pool', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newRequestId(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
