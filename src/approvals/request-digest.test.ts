import { describe, expect, it } from 'vitest';
import { digestUrl, requestDigest } from './request-digest.js';

const base = {
  agent: 'bot',
  method: 'POST',
  url: 'https://api.stripe.com:443/v1/refunds',
  body: Buffer.from('amount=10'),
};

describe('request digest', () => {
  it('is the same for the same request and differs when any part differs', () => {
    expect(requestDigest(base)).toBe(requestDigest({ ...base, body: Buffer.from('amount=10') }));
    expect(requestDigest(base)).toMatch(/^[0-9a-f]{64}$/);
    const variants = [
      { ...base, agent: 'other' },
      { ...base, method: 'PUT' },
      { ...base, url: `${base.url}?x=1` },
      { ...base, body: Buffer.from('amount=11') },
      { ...base, body: undefined },
    ];
    const digests = new Set([requestDigest(base), ...variants.map(requestDigest)]);
    expect(digests.size).toBe(variants.length + 1);
  });

  it('cannot be made equal by moving bytes between fields', () => {
    expect(requestDigest({ ...base, agent: 'bo', method: 'tPOST' })).not.toBe(requestDigest(base));
  });

  it('treats the method case-insensitively and no body like an empty one', () => {
    expect(requestDigest({ ...base, method: 'post' })).toBe(requestDigest(base));
    expect(requestDigest({ ...base, body: undefined })).toBe(
      requestDigest({ ...base, body: Buffer.alloc(0) }),
    );
  });

  it('writes the port out and brackets IPv6 hosts', () => {
    expect(digestUrl({ secure: true, host: 'api.github.com', port: 443, path: '/x?y=1' })).toBe(
      'https://api.github.com:443/x?y=1',
    );
    expect(digestUrl({ secure: false, host: '::1', port: 8080, path: '/' })).toBe('http://[::1]:8080/');
  });
});
