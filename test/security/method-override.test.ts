// Issue 9 item 3: method-override headers. The gateway decides on the request line's method and strips
// X-HTTP-Method-Override, X-HTTP-Method and X-Method-Override, so the upstream runs exactly the method
// that was decided (docs/gateway.md, "Method override headers"). The same override in a POST's query or
// form body (`_method=DELETE`, Rails, Laravel, Symfony) cannot be stripped without rewriting the
// request, so it is refused with 403 method_override_refused unless it names the POST's own method.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeOn, interceptedSession, onlyResponse, problemOf } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

const session = () => interceptedSession(gw.port, 'api.github.com', gw.proxyAuth(), gw.caPem);

describe('method override headers', () => {
  it('DELETE /repos/:owner/:repo is denied for bot (the control)', async () => {
    const text = await exchangeOn(
      await session(),
      'DELETE /repos/octo/override HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n',
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(403);
    expect(problemOf(res)).toMatchObject({ code: 'permission_denied', action: 'github.repo.delete' });
  });

  for (const header of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
    it(`a POST carrying ${header}: DELETE is decided and forwarded as the POST it is, without the header`, async () => {
      const path = `/repos/octo/override?via=${header}`;
      const text = await exchangeOn(
        await session(),
        `POST ${path} HTTP/1.1\r\nHost: api.github.com\r\n${header}: DELETE\r\n` +
          'Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      );
      expect(onlyResponse(text).status).toBe(200);
      const seen = gw.tls.seen.filter((s) => s.url === path);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.method).toBe('POST');
      const names = seen[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      expect(names).not.toContain(header.toLowerCase());
      const row = await gw.waitForRow('path = ? AND method = ?', '/repos/octo/override?via', 'POST');
      expect(row.action).not.toBe('github.repo.delete');
    });
  }

  it('all three at once, with different values: none crosses', async () => {
    const text = await exchangeOn(
      await session(),
      'POST /repos/octo/all-three HTTP/1.1\r\nHost: api.github.com\r\nX-HTTP-Method-Override: DELETE\r\n' +
        'X-HTTP-Method: PUT\r\nx-method-override: PATCH\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(onlyResponse(text).status).toBe(200);
    const seen = gw.tls.seen.find((s) => s.url === '/repos/octo/all-three')!;
    expect(JSON.stringify(seen.rawHeaders)).not.toMatch(/method/i);
  });
});

describe('_method in the query or a form body', () => {
  const post = (path: string, headers: string, body: string) =>
    `POST ${path} HTTP/1.1\r\nHost: api.github.com\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`;

  async function expectRefused(path: string, headers: string, body: string, value: string) {
    const res = onlyResponse(await exchangeOn(await session(), post(path, headers, body)));
    expect(res.status).toBe(403);
    const problem = problemOf(res);
    expect(problem).toMatchObject({ code: 'method_override_refused' });
    expect(String(problem['detail'])).toContain(`_method="${value}"`);
    expect(gw.tls.seen.filter((s) => s.url === path)).toHaveLength(0);
    // The row keeps the query's names, not its values (loggablePath).
    const row = await gw.waitForRow('path LIKE ? AND method = ?', `${path.split('?')[0]!}%`, 'POST');
    expect(row.decision).toBe('deny');
    expect(row.reason).toMatch(/^method_override_refused/);
  }

  it('a POST whose query says _method=DELETE is refused and never reaches the upstream', async () => {
    await expectRefused('/repos/octo/q-override?_method=DELETE', '', '', 'DELETE');
  });

  it('a urlencoded form POST carrying _method=delete (any case, any position) is refused', async () => {
    await expectRefused(
      '/repos/octo/form-override',
      'Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n',
      'title=x&_method=delete&z=1',
      'delete',
    );
  });

  it('a multipart form POST with a _method part is refused', async () => {
    const b = 'XyZboundary';
    const body =
      `--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="_method"\r\nContent-Type: text/plain\r\n\r\nPUT\r\n` +
      `--${b}--\r\n`;
    await expectRefused(
      '/repos/octo/multipart-override',
      `Content-Type: multipart/form-data; boundary=${b}\r\n`,
      body,
      'PUT',
    );
  });

  it('an override naming the POST itself, and a form without one, pass with the body re-sent byte for byte', async () => {
    for (const [path, body] of [
      ['/repos/octo/same-method?_method=post', 'a=1'],
      ['/repos/octo/plain-form', 'a=1&b=%5Fmethod'],
    ] as const) {
      const res = onlyResponse(
        await exchangeOn(
          await session(),
          post(path, 'Content-Type: application/x-www-form-urlencoded\r\n', body),
        ),
      );
      expect(res.status).toBe(200);
      const seen = gw.tls.seen.filter((s) => s.url === path);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.method).toBe('POST');
      expect(seen[0]!.bodyBytes).toBe(Buffer.byteLength(body));
    }
  });

  it('a GET with _method in its query is not an override (the frameworks honour it on a POST only)', async () => {
    const path = '/repos/octo/get-override?_method=DELETE';
    const res = onlyResponse(
      await exchangeOn(
        await session(),
        `GET ${path} HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(res.status).toBe(200);
    expect(gw.tls.seen.filter((s) => s.url === path)).toHaveLength(1);
  });

  it('a form POST too large to inspect is refused with 413 rather than forwarded unread', async () => {
    const path = '/repos/octo/big-form';
    const text = await exchangeOn(
      await session(),
      `POST ${path} HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${2 * 1024 * 1024}\r\nConnection: close\r\n\r\n`,
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(413);
    expect(problemOf(res)).toMatchObject({ code: 'request_too_large' });
    expect(String(problemOf(res)['detail'])).toMatch(/_method/);
    expect(gw.tls.seen.filter((s) => s.url === path)).toHaveLength(0);
  });
});
