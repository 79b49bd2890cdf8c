import { describe, expect, it } from 'vitest';
import { Secret } from '../../config/secret.js';
import type { AuthScheme } from '../../connectors/types.js';
import { prepareUpstreamRequest } from './prepare-upstream-request.js';

const GENERIC = { credentialHeaders: ['authorization', 'x-api-key', 'api-key'] };
const prepare = (auth: AuthScheme, raw: string[], target = '/v1/items?a=1&b=2', secret = 'real-secret') =>
  prepareUpstreamRequest(
    { connector: { auth }, type: GENERIC },
    raw,
    target,
    secret === '' ? undefined : new Secret(secret),
    { authority: 'api.example.com' },
  );

const AGENT = [
  'Host',
  'api.example.com',
  'User-Agent',
  'curl/8',
  'AUTHORIZATION',
  'Bearer dummy',
  'X-Trace',
  'one',
  'authorization',
  'Bearer dummy-2',
  'X-Api-Key',
  'dummy-key',
  'x-trace',
  'two',
];

describe('prepareUpstreamRequest', () => {
  it('bearer: every header a credential may travel in goes, the real one is appended once, the rest keep order and spelling', () => {
    const out = prepare('bearer', AGENT);
    expect(out.headers).toEqual([
      'Host',
      'api.example.com',
      'User-Agent',
      'curl/8',
      'X-Trace',
      'one',
      'x-trace',
      'two',
      'authorization',
      'Bearer real-secret',
    ]);
    expect(out.path).toBe('/v1/items?a=1&b=2');
  });

  it('header:NAME: that header (any case) and the connector type list are replaced', () => {
    const out = prepare('header:x-custom', ['X-Custom', 'dummy', 'Accept', '*/*', 'api-key', 'k']);
    expect(out.headers).toEqual(['Host', 'api.example.com', 'Accept', '*/*', 'x-custom', 'real-secret']);
  });

  it('basic: the secret goes base64-encoded', () => {
    const out = prepare('basic', ['Authorization', 'Basic ZHVtbXk='], '/', 'user:pw');
    expect(out.headers).toEqual([
      'Host',
      'api.example.com',
      'authorization',
      `Basic ${Buffer.from('user:pw').toString('base64')}`,
    ]);
  });

  it('query:NAME: the query carries the secret in place of the agent value, credential headers still go', () => {
    const out = prepare('query:key', ['Accept', '*/*', 'Authorization', 'Bearer dummy'], '/v1?key=dummy&x=1');
    expect(out.headers).toEqual(['Host', 'api.example.com', 'Accept', '*/*']);
    expect(out.path).toBe('/v1?x=1&key=real-secret');
  });

  it('no stored secret, or auth none: the agent headers pass (hop-by-hop removed), the target untouched', () => {
    for (const out of [prepare('bearer', AGENT, '/p?q=1', ''), prepare('none', AGENT, '/p?q=1')]) {
      expect(out.headers.filter((_, i) => i % 2 === 0)).toEqual([
        'Host',
        'User-Agent',
        'AUTHORIZATION',
        'X-Trace',
        'authorization',
        'X-Api-Key',
        'x-trace',
      ]);
      expect(out.path).toBe('/p?q=1');
    }
  });

  it('a secret that is not a valid header value is not sent at all (nor is the dummy)', () => {
    const out = prepare('bearer', ['Authorization', 'Bearer dummy'], '/', 'bad\r\nInjected: yes');
    expect(out.headers).toEqual(['Host', 'api.example.com']);
  });

  it('an agent that already sent exactly the real value keeps its header where it was, once', () => {
    const out = prepare('bearer', ['Authorization', 'Bearer real-secret', 'Accept', '*/*']);
    expect(out.headers).toEqual([
      'Host',
      'api.example.com',
      'Authorization',
      'Bearer real-secret',
      'Accept',
      '*/*',
    ]);
  });
});
