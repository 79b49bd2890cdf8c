import { describe, expect, it } from 'vitest';
import { parseCertificateHost } from './certificate-host.js';

describe('parseCertificateHost', () => {
  it.each([
    ['api.github.com', { kind: 'dns', name: 'api.github.com' }],
    ['API.GitHub.COM.', { kind: 'dns', name: 'api.github.com' }],
    ['localhost', { kind: 'dns', name: 'localhost' }],
    ['xn--bcher-kva.example', { kind: 'dns', name: 'xn--bcher-kva.example' }],
    ['_acme-challenge.example.com', { kind: 'dns', name: '_acme-challenge.example.com' }],
    ['a1.b-2.c3', { kind: 'dns', name: 'a1.b-2.c3' }],
    ['127.0.0.1', { kind: 'ip', name: '127.0.0.1', family: 4 }],
    ['::1', { kind: 'ip', name: '::1', family: 6 }],
    ['[::1]', { kind: 'ip', name: '::1', family: 6 }],
    ['[2001:DB8::1]', { kind: 'ip', name: '2001:db8::1', family: 6 }],
  ])('accepts %j', (input, expected) => {
    expect(parseCertificateHost(input)).toEqual(expected);
  });

  it.each([
    '',
    '.',
    '*.example.com',
    'exa mple.com',
    'a..b',
    '-bad.example.com',
    'bad-.example.com',
    'bücher.example',
    'fe80::1%eth0',
    '[fe80::1%25eth0]',
    '10.1.2',
    '999.1.1.1',
    'example.com:443',
    'user@example.com',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(127)}com`,
  ])('rejects %j', (input) => {
    expect(() => parseCertificateHost(input)).toThrow(/invalid host/);
  });

  it('keeps error messages short for long input', () => {
    expect(() => parseCertificateHost('x'.repeat(10_000))).toThrow(/^.{0,200}$/);
  });
});
