import { describe, expect, it } from 'vitest';
import { applyCredential, parseAuthScheme, redactQuery, schemeHeader } from './credential.js';
import { CONNECTOR_TYPES } from './registry.js';
import type { AuthScheme } from './types.js';

type Headers = Record<string, string | string[] | undefined>;

interface Case {
  name: string;
  headers: Headers;
  query?: string;
  scheme: AuthScheme;
  secret: string | undefined;
  strip?: string[];
  expectHeaders: Headers;
  expectQuery?: string;
}

const cases: Case[] = [
  {
    name: 'bearer replaces the dummy',
    headers: { authorization: 'Bearer dummy', accept: 'application/json' },
    scheme: 'bearer',
    secret: 'ghp_real',
    expectHeaders: { authorization: 'Bearer ghp_real', accept: 'application/json' },
  },
  {
    name: 'bearer strips every case spelling and extra credential headers',
    headers: { Authorization: 'token dummy', 'X-Api-Key': 'dummy2', 'user-agent': 'gh' },
    scheme: 'bearer',
    secret: 'real',
    strip: ['authorization', 'x-api-key'],
    expectHeaders: { authorization: 'Bearer real', 'user-agent': 'gh' },
  },
  {
    name: 'an array of authorization values is removed whole',
    headers: { authorization: ['Bearer a', 'Bearer b'] },
    scheme: 'bearer',
    secret: 'real',
    expectHeaders: { authorization: 'Bearer real' },
  },
  {
    name: 'basic encodes user:password',
    headers: { authorization: 'Basic ZHVtbXk6ZHVtbXk=' },
    scheme: 'basic',
    secret: 'alice:s3cret',
    expectHeaders: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` },
  },
  {
    name: 'header:x-api-key (Anthropic) strips authorization too when listed',
    headers: { 'x-api-key': 'dummy', authorization: 'Bearer dummy', 'anthropic-version': '2023-06-01' },
    scheme: 'header:x-api-key',
    secret: 'sk-ant-real',
    strip: ['x-api-key', 'authorization'],
    expectHeaders: { 'x-api-key': 'sk-ant-real', 'anthropic-version': '2023-06-01' },
  },
  {
    name: 'header scheme names are case-insensitive',
    headers: { 'X-Custom-Token': 'dummy' },
    scheme: 'header:X-Custom-Token',
    secret: 'real',
    expectHeaders: { 'x-custom-token': 'real' },
  },
  {
    name: 'query scheme replaces every copy of the parameter',
    headers: { authorization: 'Bearer dummy' },
    query: 'api_key=dummy&q=x&api_key=dummy2',
    scheme: 'query:api_key',
    secret: 'real key',
    strip: ['authorization'],
    expectHeaders: {},
    expectQuery: 'q=x&api_key=real+key',
  },
  {
    name: 'query scheme adds the parameter when absent',
    headers: {},
    query: 'q=x',
    scheme: 'query:key',
    secret: 'k',
    expectHeaders: {},
    expectQuery: 'q=x&key=k',
  },
  {
    name: 'none changes nothing',
    headers: { authorization: 'Bearer agent-own' },
    scheme: 'none',
    secret: 'whatever',
    strip: ['authorization'],
    expectHeaders: { authorization: 'Bearer agent-own' },
  },
  {
    name: 'no stored secret: the agent header passes through',
    headers: { authorization: 'Bearer agent-own', 'x-api-key': 'k' },
    query: 'api_key=mine',
    scheme: 'query:api_key',
    secret: undefined,
    strip: ['authorization', 'x-api-key'],
    expectHeaders: { authorization: 'Bearer agent-own', 'x-api-key': 'k' },
    expectQuery: 'api_key=mine',
  },
  {
    name: 'a secret with CR/LF is never sent (header injection), the dummy is still removed',
    headers: { authorization: 'Bearer dummy' },
    scheme: 'bearer',
    secret: 'real\r\nx-evil: 1',
    expectHeaders: {},
  },
  {
    name: 'a __proto__ header is copied as a plain field',
    headers: JSON.parse('{"__proto__":"x","authorization":"Bearer d"}'),
    scheme: 'bearer',
    secret: 'real',
    expectHeaders: JSON.parse('{"__proto__":"x","authorization":"Bearer real"}'),
  },
];

describe('applyCredential', () => {
  for (const c of cases) {
    it(c.name, () => {
      const query = new URLSearchParams(c.query ?? '');
      const input = { headers: c.headers, path: '/x', query };
      const before = JSON.stringify(c.headers);
      const out = applyCredential(input, c.scheme, c.secret, c.strip ?? []);
      expect(out.headers).toStrictEqual(c.expectHeaders);
      expect(out.query.toString()).toBe(c.expectQuery ?? query.toString());
      // The input is not mutated (the gateway may still log or retry from it).
      expect(JSON.stringify(c.headers)).toBe(before);
      expect(query.toString()).toBe(new URLSearchParams(c.query ?? '').toString());
    });
  }

  it('strips each connector type credential headers and never leaves the dummy', () => {
    for (const t of CONNECTOR_TYPES) {
      if (t.defaultAuth === 'none') continue;
      const headers: Headers = { 'user-agent': 'agent' };
      for (const h of t.credentialHeaders) headers[h] = 'DUMMY';
      const out = applyCredential(
        { headers, path: '/', query: new URLSearchParams() },
        t.defaultAuth,
        'REAL',
        t.credentialHeaders,
      );
      const values = Object.values(out.headers).flat();
      expect(values, t.type).not.toContain('DUMMY');
      expect(
        values.some((v) => v?.includes('REAL')),
        t.type,
      ).toBe(true);
    }
  });
});

describe('parseAuthScheme', () => {
  const table: Array<[string, AuthScheme | undefined]> = [
    ['bearer', 'bearer'],
    ['basic', 'basic'],
    ['none', 'none'],
    ['header:X-Api-Key', 'header:x-api-key'],
    ['header:bad name', undefined],
    ['header:', undefined],
    ['query:api_key', 'query:api_key'],
    ['query:', undefined],
    ['token', undefined],
  ];
  for (const [text, expected] of table) it(text, () => expect(parseAuthScheme(text)).toBe(expected));

  it('schemeHeader', () => {
    expect(schemeHeader('bearer')).toBe('authorization');
    expect(schemeHeader('basic')).toBe('authorization');
    expect(schemeHeader('header:X-Key')).toBe('x-key');
    expect(schemeHeader('query:k')).toBeUndefined();
    expect(schemeHeader('none')).toBeUndefined();
  });
});

describe('redactQuery', () => {
  const table: Array<[string, string]> = [
    ['', ''],
    ['a=1&b=2', 'a&b'],
    ['token=secret&token=again&x=', 'token&x'],
    ['api%20key=s3cr3t', 'api%20key'],
    ['flag', 'flag'],
    ['a=1&=2', 'a&'],
  ];
  for (const [q, expected] of table) {
    it(q || '(empty)', () => {
      const out = redactQuery(new URLSearchParams(q));
      expect(out).toBe(expected);
      expect(out).not.toContain('secret');
      expect(out).not.toContain('s3cr3t');
    });
  }
});
