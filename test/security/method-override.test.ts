// Issue 9 item 3: method-override headers. The gateway decides on the request line's method and strips
// X-HTTP-Method-Override, X-HTTP-Method and X-Method-Override, so the upstream runs exactly the method
// that was decided (docs/gateway.md, "Method override headers").
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
