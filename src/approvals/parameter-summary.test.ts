import { describe, expect, it } from 'vitest';
import { summarizeParameters } from './parameter-summary.js';

describe('parameter summary', () => {
  it('keeps what an approver needs and redacts what names a credential, at any depth', () => {
    const out = summarizeParameters({
      amount: 6000,
      currency: 'usd',
      api_key: 'sk_live_123',
      nested: { password: 'hunter2', channel: '#ops', deeper: { Authorization: 'Bearer x' } },
    });
    expect(out).toEqual({
      amount: 6000,
      currency: 'usd',
      api_key: '[redacted]',
      nested: { password: '[redacted]', channel: '#ops', deeper: { Authorization: '[redacted]' } },
    });
  });

  it('bounds strings, lists, depth and the whole', () => {
    const out = summarizeParameters({ text: 'x'.repeat(500), list: Array.from({ length: 30 }, (_, i) => i) });
    expect(String(out.text)).toHaveLength(201);
    expect(out.list).toHaveLength(11);
    const deep = summarizeParameters({ a: { b: { c: { d: { e: 1 } } } } });
    expect(deep).toEqual({ a: { b: { c: { d: '{…}' } } } });
    const huge = summarizeParameters(
      Object.fromEntries(Array.from({ length: 39 }, (_, i) => [`k${i}`, 'y'.repeat(190)])),
    );
    expect(huge.truncated).toBe(true);
  });
});
