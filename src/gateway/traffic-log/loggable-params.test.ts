import { describe, expect, it } from 'vitest';
import { loggableParams, REDACTED } from './loggable-params.js';

describe('loggableParams', () => {
  it('keeps what a person needs to judge an action', () => {
    expect(loggableParams({ amount: 5000, currency: 'usd', charge: 'ch_123', confirm: true })).toEqual({
      amount: 5000,
      currency: 'usd',
      charge: 'ch_123',
      confirm: true,
    });
    expect(loggableParams({})).toBeNull();
    // Counts named like secrets are not secrets.
    expect(loggableParams({ max_tokens: 100, max_output_tokens: 5 })).toEqual({
      max_tokens: 100,
      max_output_tokens: 5,
    });
  });

  it.each([
    ['password', 'hunter2'],
    ['client_secret', 'abc'],
    ['api_key', 'k-123'],
    ['apiKey', 'k-123'],
    ['access_token', 'x'],
    ['Authorization', 'anything'],
    ['card-number', '4242424242424242'],
    ['cvc', '123'],
    ['pin', '0000'],
  ])('redacts the value under %s', (key, value) => {
    expect(loggableParams({ [key]: value, keep: 'me' })).toEqual({ [key]: REDACTED, keep: 'me' });
  });

  it.each([
    'ghp_0123456789abcdefABCDEF0123',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
    'sk-proj-0123456789abcdefghij',
    'sk-ant-api03-0123456789abcdef',
    'sk_live_0123456789abcdef',
    'xoxb-123456789012-abcdefghij',
    'tf_agent_0123456789abcdef',
    'AKIAABCDEFGHIJKLMNOP',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
    'Bearer abcdefghijklmnop',
  ])('cuts a credential out of any string: %s', (secret) => {
    const out = loggableParams({ text: `please use ${secret} now`, nested: { list: [secret] } })!;
    expect(JSON.stringify(out)).not.toContain(secret);
    expect(out.text).toBe(`please use ${REDACTED} now`);
    expect(out.nested).toEqual({ list: [REDACTED] });
  });

  it('removes a private key block', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----';
    expect(loggableParams({ file: `key:\n${pem}\nend` })).toEqual({ file: `key:\n${REDACTED}\nend` });
  });

  it('bounds strings, nesting, arrays and the whole', () => {
    const out = loggableParams({ s: 'x'.repeat(1000) })!;
    expect(out.s).toBe(`${'x'.repeat(256)}…`);
    const deep = loggableParams({ a: { b: { c: { d: { e: { f: 1 } } } } } })!;
    expect(JSON.stringify(deep)).toContain('[…]');
    const long = loggableParams({ list: Array.from({ length: 80 }, (_, i) => i) })!;
    expect((long.list as unknown[]).length).toBe(51);
    const big = loggableParams(
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'y'.repeat(200)])),
    )!;
    expect(big).toMatchObject({ truncated: true });
    expect(JSON.stringify(big).length).toBeLessThan(4096);
    const fits = loggableParams({ a: 'y'.repeat(200), b: 2 })!;
    expect(JSON.stringify(fits).length).toBeLessThan(4096);
  });

  it('keeps agent-chosen keys such as __proto__ as data', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const out = loggableParams(input)!;
    expect(Object.keys(out)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"x":1}');
  });
});
