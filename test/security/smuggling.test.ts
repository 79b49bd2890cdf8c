// Probes that already held when the gateway was attacked (issue 9), kept here so they keep holding:
// request smuggling with conflicting framing (CL.TE, TE.CL, duplicate lengths, obfuscated
// Transfer-Encoding) on the proxy port and inside an intercepted tunnel, and pipelined requests on one
// connection, each decided on its own. The recording upstreams prove that nothing smuggled arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeOn, interceptedSession, parseResponses, problemOf, rawExchange } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway({
    mutate(s) {
      s.permissions.push({
        id: 'bot-plain-no-delete',
        agent: 'bot',
        connector: 'plain',
        action: 'http.delete',
        decision: 'deny',
      });
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

function seenPaths(): string[] {
  return [...gw.plain.seen, ...gw.tls.seen].map((s) => s.url);
}

/** Framing conflicts; `%P` is where the request's path prefix goes, `%H` the host. */
const FRAMINGS: Record<string, string> = {
  'CL.TE': 'Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX',
  'TE.CL': 'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n',
  'two Content-Lengths': 'Content-Length: 0\r\nContent-Length: 60\r\n\r\n',
  'Transfer-Encoding: chunked, identity': 'Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  'Transfer-Encoding with a space before the colon': 'Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  'two Transfer-Encodings': 'Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n',
};

function smuggle(start: string, host: string, framing: string, tail: string): string {
  const smuggled = `GET ${tail} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  return `${start}\r\nHost: ${host}\r\n${framing}${smuggled}`;
}

describe('conflicting framing on the proxy port', () => {
  let n = 0;
  for (const [name, framing] of Object.entries(FRAMINGS)) {
    it(`${name}: refused with 400 problem+json, nothing smuggled upstream`, async () => {
      n++;
      const tail = `http://plain.test/smuggled-proxy-${n}`;
      const text = await rawExchange(
        gw.port,
        smuggle(
          `POST http://plain.test/front-${n} HTTP/1.1\r\nProxy-Authorization: ${gw.proxyAuth()}`,
          'plain.test',
          framing,
          tail,
        ),
      );
      const responses = parseResponses(text);
      expect(responses.length, text).toBeGreaterThanOrEqual(1);
      expect(responses[0]!.status).toBe(400);
      expect(problemOf(responses[0]!)['code']).toBe('bad_request');
      expect(seenPaths().some((p) => p.includes(`smuggled-proxy-${n}`))).toBe(false);
      expect(seenPaths().some((p) => p.includes(`front-${n}`))).toBe(false);
    });
  }
});

describe('conflicting framing inside an intercepted tunnel', () => {
  let n = 0;
  for (const [name, framing] of Object.entries(FRAMINGS)) {
    it(`${name}: refused with 400 problem+json, nothing smuggled upstream`, async () => {
      n++;
      const tls = await interceptedSession(gw.port, 'api.github.com', gw.proxyAuth(), gw.caPem);
      const text = await exchangeOn(
        tls,
        smuggle(`POST /repos/octo/front-${n} HTTP/1.1`, 'api.github.com', framing, `/smuggled-tunnel-${n}`),
      );
      const responses = parseResponses(text);
      expect(responses.length, text).toBeGreaterThanOrEqual(1);
      expect(responses[0]!.status).toBe(400);
      expect(seenPaths().some((p) => p.includes(`smuggled-tunnel-${n}`))).toBe(false);
      expect(seenPaths().some((p) => p.includes(`front-${n}`))).toBe(false);
    });
  }
});

describe('pipelined requests are decided one by one', () => {
  it('on the proxy port: allowed, denied (its body holding a request line), allowed', async () => {
    const auth = `Proxy-Authorization: ${gw.proxyAuth()}\r\n`;
    const hidden = 'GET http://plain.test/pipe-hidden HTTP/1.1\r\nHost: plain.test\r\n\r\n';
    const text = await rawExchange(
      gw.port,
      `GET http://plain.test/pipe-1 HTTP/1.1\r\nHost: plain.test\r\n${auth}\r\n` +
        `DELETE http://plain.test/pipe-2 HTTP/1.1\r\nHost: plain.test\r\n${auth}Content-Length: ${hidden.length}\r\n\r\n${hidden}` +
        `GET http://plain.test/pipe-3 HTTP/1.1\r\nHost: plain.test\r\n${auth}Connection: close\r\n\r\n`,
    );
    expect(parseResponses(text).map((r) => r.status)).toEqual([200, 403, 200]);
    const paths = seenPaths();
    expect(paths).toContain('/pipe-1');
    expect(paths).toContain('/pipe-3');
    expect(paths).not.toContain('/pipe-2');
    expect(paths.some((p) => p.includes('pipe-hidden'))).toBe(false);
  });

  it('inside a tunnel: allowed, denied, allowed', async () => {
    const tls = await interceptedSession(gw.port, 'api.github.com', gw.proxyAuth(), gw.caPem);
    const text = await exchangeOn(
      tls,
      'GET /repos/octo/pipe-a HTTP/1.1\r\nHost: api.github.com\r\n\r\n' +
        'DELETE /repos/octo/pipe-b HTTP/1.1\r\nHost: api.github.com\r\n\r\n' +
        'GET /repos/octo/pipe-c HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n',
    );
    const responses = parseResponses(text);
    expect(responses.map((r) => r.status)).toEqual([200, 403, 200]);
    expect(problemOf(responses[1]!)).toMatchObject({
      code: 'permission_denied',
      action: 'github.repo.delete',
    });
    const paths = seenPaths();
    expect(paths).toContain('/repos/octo/pipe-a');
    expect(paths).toContain('/repos/octo/pipe-c');
    expect(paths).not.toContain('/repos/octo/pipe-b');
  });
});
