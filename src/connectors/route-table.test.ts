import { describe, expect, it } from 'vitest';
import { pathSegments, safeDecode, stripPrefix } from './path-segments.js';
import { pathParams, RouteTable, routeSpec } from './route-table.js';

const table = new RouteTable([
  { method: 'GET', path: '/items/{id:int}', action: 'x.item.get', risk: 'low', description: 'Get.' },
  { method: 'GET', path: '/items/special', action: 'x.item.special', risk: 'low', description: 'Special.' },
  { method: 'GET', path: '/items/{slug}/tags', action: 'x.item.tags', risk: 'low', description: 'Tags.' },
  { method: 'GET', path: '/files/{path+}', action: 'x.file.get', risk: 'low', description: 'File.' },
  { method: 'GET', path: '/files/{name}/meta', action: 'x.file.meta', risk: 'low', description: 'Meta.' },
  {
    method: 'PATCH',
    path: '/items/{id:int}',
    action: 'x.item.close',
    risk: 'medium',
    description: 'Close.',
    when: [{ in: 'body', field: 'state', equals: 'closed' }],
    fields: ['state'],
  },
  {
    method: 'PATCH',
    path: '/items/{id:int}',
    action: 'x.item.update',
    risk: 'low',
    description: 'Update.',
    fields: ['state'],
  },
]);

function m(method: string, path: string) {
  const match = table.match(method, pathSegments(path)!);
  if (!match) return undefined;
  return { actions: match.routes.map((r) => r.action), params: pathParams(match.routes[0]!, match.captured) };
}

describe('RouteTable', () => {
  it('matches literals before params and backtracks', () => {
    expect(m('GET', '/items/special')?.actions).toEqual(['x.item.special']);
    expect(m('GET', '/items/12')).toEqual({ actions: ['x.item.get'], params: { id: 12 } });
    expect(m('GET', '/items/abc/tags')?.params).toEqual({ slug: 'abc' });
  });

  it('int params only match digits', () => {
    expect(m('GET', '/items/abc')).toBeUndefined();
    expect(m('GET', '/items/1e3')).toBeUndefined();
    expect(m('GET', '/items/-1')).toBeUndefined();
  });

  it('rest params take the remaining segments, after more specific routes', () => {
    expect(m('GET', '/files/a/b/c.txt')).toEqual({ actions: ['x.file.get'], params: { path: 'a/b/c.txt' } });
    expect(m('GET', '/files/a/meta')?.actions).toEqual(['x.file.meta']);
    expect(m('GET', '/files')).toBeUndefined();
  });

  it('orders conditional routes before the plain one', () => {
    expect(m('PATCH', '/items/3')?.actions).toEqual(['x.item.close', 'x.item.update']);
  });

  it('HEAD falls back to GET routes; other methods do not', () => {
    expect(m('HEAD', '/items/1')?.actions).toEqual(['x.item.get']);
    expect(m('POST', '/items/1')).toBeUndefined();
  });

  it('renders catalogue rows with conditions and without param kinds', () => {
    const [close] = table.routes.filter((r) => r.action === 'x.item.close');
    expect(routeSpec(close!, '/v1')).toEqual({
      action: 'x.item.close',
      method: 'PATCH',
      path: '/v1/items/{id}',
      risk: 'medium',
      params: ['id', 'state'],
      description: 'Close. (when state=closed)',
    });
    expect(table.catalogue('').map((s) => s.path)).toContain('/files/{path}');
  });

  it('aliases match but are not catalogue rows', () => {
    const t = new RouteTable([
      { method: 'GET', path: '/a/{x}', action: 'x.a.get', risk: 'low', description: 'A.' },
      { method: 'GET', path: '/b/{id:int}', action: 'x.a.get', risk: 'low', description: 'A.', alias: true },
    ]);
    expect(t.match('GET', ['b', '7'])?.routes[0]?.action).toBe('x.a.get');
    expect(t.catalogue('').map((s) => s.path)).toEqual(['/a/{x}']);
  });

  it('refuses malformed patterns at load time', () => {
    const bad = (path: string) => () =>
      new RouteTable([{ method: 'GET', path, action: 'x.y.z', risk: 'low', description: '' }]);
    expect(bad('/a/{rest+}/b')).toThrow(/rest param/);
    expect(bad('/a/x{id}')).toThrow(/bad pattern/);
  });
});

describe('path segments', () => {
  const table: Array<[string, string[] | undefined]> = [
    ['/', []],
    ['', []],
    ['//a///b/', ['a', 'b']],
    ['/a/./b/../c', ['a', 'c']],
    ['/../../a', ['a']],
    ['/a/%2e%2E/b', ['b']],
    ['/a%2Fb/c', ['a', 'b', 'c']],
    ['/a/b%2F..%2F..%2Fc', ['c']],
    ['/%zz/%E0%A4%A', ['%zz', '%E0%A4%A']],
    ['/caf%C3%A9', ['café']],
    [`/${'a/'.repeat(65)}`, undefined],
    [`/${'a/'.repeat(200)}${'../'.repeat(190)}`, Array(10).fill('a')],
  ];
  for (const [p, expected] of table)
    it(JSON.stringify(p.slice(0, 40)), () => expect(pathSegments(p)).toEqual(expected));

  it('safeDecode keeps malformed text', () => {
    expect(safeDecode('%')).toBe('%');
    expect(safeDecode('%41')).toBe('A');
  });

  it('stripPrefix compares lower-cased segments', () => {
    expect(stripPrefix(['API', 'v3', 'repos'], ['api', 'v3'])).toEqual(['repos']);
    expect(stripPrefix(['api'], ['api', 'v3'])).toBeUndefined();
    expect(stripPrefix(['x', 'v3'], ['api', 'v3'])).toBeUndefined();
    expect(stripPrefix(['a'], [])).toEqual(['a']);
  });
});
