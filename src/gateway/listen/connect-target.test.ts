import { describe, expect, it } from 'vitest';
import { parseConnectTarget } from './connect-target.js';

describe('parseConnectTarget', () => {
  it.each([
    ['api.github.com:443', 'api.github.com', 443],
    ['API.GitHub.com.:8443', 'api.github.com', 8443],
    ['127.0.0.1:1', '127.0.0.1', 1],
    ['[::1]:65535', '::1', 65535],
    ['[2001:DB8::1]:443', '2001:db8::1', 443],
    ['_svc.example.com:443', '_svc.example.com', 443],
  ])('accepts %s', (raw, host, port) => {
    expect(parseConnectTarget(raw)).toEqual({ ok: true, host, port });
  });

  it.each([
    ['user:pw@api.github.com:443', /user information/],
    ['@api.github.com:443', /user information/],
    ['api.github.com:443/foo', /path/],
    ['api.github.com:443?x', /path/],
    ['api.github.com:443#f', /path/],
    ['api.github.com:0', /port/],
    ['api.github.com:65536', /port/],
    ['api.github.com:443443', /port/],
    ['api.github.com:', /port/],
    ['api.github.com:-1', /port/],
    ['api.github.com', /no port/],
    [':443', /empty/],
    ['[::1%eth0]:443', /IPv6/],
    ['[not-v6]:443', /IPv6/],
    ['api github.com:443', /DNS name/],
    ['api.github%2ecom:443', /DNS name/],
    ['a..b:443', /DNS name/],
    [`${'a'.repeat(254)}:443`, /DNS name/],
  ])('refuses %s', (raw, why) => {
    const r = parseConnectTarget(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });
});
