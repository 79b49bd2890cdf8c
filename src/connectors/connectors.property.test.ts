// Property tests: whatever an agent sends, every connector answers with a valid action and risk,
// without throwing, for `wantsBody` and `map` alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGraphql } from './graphql-parser.js';
import { pathSegments } from './path-segments.js';
import { CONNECTOR_TYPES } from './registry.js';
import type { ConnectorOptions, ConnectorRequest } from './types.js';
import { ACTION_NAME_PATTERN } from './types.js';

// Segments that reach deep into the route tables, plus hostile ones.
const SEGMENTS = [
  'repos',
  'octo',
  'r.git',
  'pulls',
  '42',
  'merge',
  'issues',
  'comments',
  'git',
  'refs',
  'heads',
  'tags',
  'contents',
  'graphql',
  'api',
  'v3',
  'v1',
  'info',
  'git-receive-pack',
  'git-upload-pack',
  'chat.postMessage',
  'admin.users.remove',
  'admin.',
  'chat',
  'completions',
  'charges',
  'refunds',
  'customers',
  'subscriptions',
  'messages',
  'batches',
  'files',
  'models',
  'orgs',
  'user',
  'branches',
  'protection',
  'services',
  'mcp',
  '..',
  '.',
  '',
  '%2e%2e',
  '%zz',
  '%',
  '%2F',
  '%00',
  'é',
  '%C3%A9',
  '__proto__',
  'constructor',
  '{x}',
  '*',
];
const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'CONNECT',
  'M-SEARCH',
  '',
  'get',
];

const segment = fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ maxLength: 12 }));
const path = fc.oneof(
  { weight: 9, arbitrary: fc.array(segment, { maxLength: 10 }).map((s) => `/${s.join('/')}`) },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 60, maxLength: 90 }).map((s) => `/${s.join('/')}`) },
);
const method = fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 10 }));
const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('service', 'channel', 'amount', 'ref', 'model'), fc.string()),
      fc.string(),
    ),
  )
  .map((pairs) => new URLSearchParams(pairs));

const rpc = fc.record({
  jsonrpc: fc.constant('2.0'),
  id: fc.oneof(fc.integer(), fc.string()),
  method: fc.oneof(fc.constantFrom('tools/call', 'tools/list', 'initialize', 'a/b/c'), fc.string()),
  params: fc.oneof(
    fc.record({ name: fc.string(), arguments: fc.jsonValue({ maxDepth: 4 }) }),
    fc.jsonValue(),
  ),
});
const graphql = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'mutation',
        'query',
        '{',
        '}',
        '(',
        ')',
        ':',
        '$x',
        '...',
        'on',
        '"s"',
        '#c\n',
        'mergePullRequest',
        'fragment',
        'F',
        '@d',
        '[',
        ']',
        '"""',
      ),
      fc.string({ maxLength: 5 }),
    ),
    { maxLength: 30 },
  )
  .map((t) => t.join(' '));
const bodyText = fc.oneof(
  fc.json(),
  fc.string(),
  rpc.map((r) => JSON.stringify(r)),
  fc.array(rpc, { maxLength: 4 }).map((r) => JSON.stringify(r)),
  graphql.map((q) => JSON.stringify({ query: q, operationName: null, variables: { input: {} } })),
  fc.dictionary(fc.string(), fc.string()).map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom(
    '0000',
    `0074${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\0x\n0000`,
    '{"state":"closed"}',
  ),
);
const body = fc.oneof(
  fc.constant(undefined),
  bodyText.map((t) => Buffer.from(t)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'text/plain',
      '',
    ),
    'content-encoding': fc.constantFrom('gzip', 'identity', ''),
    accept: fc.constantFrom('text/event-stream', '*/*'),
  },
  { requiredKeys: [] },
);
const options: fc.Arbitrary<ConnectorOptions> = fc.oneof(
  fc.constant({}),
  fc.record({
    baseUrl: fc.constantFrom(
      'https://ghe.example.com/api/v3',
      'not a url',
      'https://x.example/openai/v1',
      '',
    ),
  }),
  fc.record({ extra: fc.record({ toolRisk: fc.oneof(fc.jsonValue(), fc.constant({ '*': 'high' })) }) }),
);

const request: fc.Arbitrary<ConnectorRequest> = fc.record({
  method,
  host: fc.constantFrom('api.github.com', 'github.com', 'slack.com', 'x.example'),
  port: fc.constantFrom(443, 80, 8443),
  path,
  query,
  headers,
  body,
  bodyTruncated: fc.boolean(),
});

describe('every connector, arbitrary requests', () => {
  for (const connector of CONNECTOR_TYPES) {
    it(`${connector.type}: never throws, valid action and risk`, () => {
      fc.assert(
        fc.property(request, options, (req, opts) => {
          const { body: _b, bodyTruncated: _t, ...head } = req;
          expect(typeof connector.wantsBody(head, opts)).toBe('boolean');
          connector.bodyPrefixSuffices?.(head, opts);
          const m = connector.map(req, opts);
          expect(m.action).toMatch(ACTION_NAME_PATTERN);
          expect(['low', 'medium', 'high']).toContain(m.risk);
          expect(typeof m.params).toBe('object');
          // guardedMap's safety net must stay unused: a map_error means a parser threw.
          expect(m.params).not.toHaveProperty('map_error');
          JSON.stringify(m.params); // params stay serialisable (they go to the audit log)
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('parsers on arbitrary input', () => {
  it('parseGraphql never throws', () => {
    fc.assert(
      fc.property(fc.oneof(graphql, fc.string()), (src) => {
        const r = parseGraphql(src);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('pathSegments never throws and never keeps dot segments', () => {
    fc.assert(
      fc.property(path, (p) => {
        const segs = pathSegments(p);
        if (segs) expect(segs.every((s) => s !== '.' && s !== '..' && s !== '')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('deep nesting is bounded', () => {
    const deep = `mutation { x(a: ${'['.repeat(5000)}${']'.repeat(5000)}) }`;
    expect(parseGraphql(deep)).toEqual({ ok: false, error: 'too_deep' });
    const gh = CONNECTOR_TYPES.find((c) => c.type === 'mcp')!;
    const nested = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`;
    const req = {
      method: 'POST',
      host: 'h',
      port: 443,
      path: '/',
      query: new URLSearchParams(),
      headers: {},
      body: Buffer.from(nested),
    };
    expect(gh.map(req, {}).action).toBe('mcp.tools.x');
  });
});
