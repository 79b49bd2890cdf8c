// Issue 9 item 4: CONNECT targets are exactly `host:port` (RFC 9112 3.2.3), and a header block over the
// limit is 431 problem+json, on the proxy port and inside a tunnel (where the socket used to be closed
// without an answer). Exact bytes on raw sockets against the spawned daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeOn,
  interceptedSession,
  onlyResponse,
  problemOf,
  rawConnect,
  rawExchange,
} from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

const BIG = 'x'.repeat(20 * 1024); // over Node's 16 KiB header limit

describe('strict CONNECT targets', () => {
  it('the control: CONNECT api.github.com:443 opens a tunnel', async () => {
    const socket = await rawConnect(gw.port, 'api.github.com:443', gw.proxyAuth());
    socket.destroy();
  });

  const malformed = [
    'user:pw@api.github.com:443',
    'api.github.com:443/foo',
    'api.github.com:443?x=1',
    'api.github.com:0',
    'api.github.com:65536',
    'api.github.com:99999',
    'api.github.com:',
    'api.github.com',
    ':443',
    '[::1%25lo]:443',
    'api.github.com:+443',
    'api.github%2ecom:443',
  ];
  for (const target of malformed) {
    it(`CONNECT ${target}: 400 problem+json, no tunnel`, async () => {
      const text = await rawExchange(
        gw.port,
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${gw.proxyAuth()}\r\n\r\n`,
      );
      const res = onlyResponse(text);
      expect(res.status).toBe(400);
      expect(problemOf(res)['code']).toBe('bad_request');
      expect(typeof problemOf(res)['request_id']).toBe('string');
    });
  }

  it('the refused user information never reaches the traffic log', async () => {
    await rawExchange(
      gw.port,
      `CONNECT hunter2user:hunter2pw@api.github.com:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: ${gw.proxyAuth()}\r\n\r\n`,
    );
    const row = await gw.waitForRow("method = 'CONNECT' AND status = 400");
    expect(row.decision).toBe('deny');
    expect(JSON.stringify(gw.rows())).not.toContain('hunter2');
  });
});

describe('oversize header blocks: 431', () => {
  it('on the proxy port (absolute form)', async () => {
    const text = await rawExchange(
      gw.port,
      `GET http://plain.test/big HTTP/1.1\r\nHost: plain.test\r\nX-Big: ${BIG}\r\n\r\n`,
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(431);
    expect(problemOf(res)['code']).toBe('request_header_too_large');
    expect(gw.plain.seen.some((s) => s.url === '/big')).toBe(false);
  });

  it('on a CONNECT', async () => {
    const text = await rawExchange(
      gw.port,
      `CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\nX-Big: ${BIG}\r\n\r\n`,
    );
    expect(onlyResponse(text).status).toBe(431);
  });

  it('inside an intercepted tunnel (it used to close with no answer)', async () => {
    const tls = await interceptedSession(gw.port, 'api.github.com', gw.proxyAuth(), gw.caPem);
    const text = await exchangeOn(tls, `GET /big HTTP/1.1\r\nHost: api.github.com\r\nX-Big: ${BIG}\r\n\r\n`);
    const res = onlyResponse(text);
    expect(res.status).toBe(431);
    expect(problemOf(res)['code']).toBe('request_header_too_large');
    expect(gw.tls.seen.some((s) => s.url === '/big')).toBe(false);
  });

  it('inside a tunnel, a request the parser refuses is a 400 problem+json, not a silent close', async () => {
    const tls = await interceptedSession(gw.port, 'api.github.com', gw.proxyAuth(), gw.caPem);
    const text = await exchangeOn(tls, 'GET /x HTTP/1.1\r\nHost: api.github.com\r\nBad Header: y\r\n\r\n');
    const res = onlyResponse(text);
    expect(res.status).toBe(400);
    expect(problemOf(res)['code']).toBe('bad_request');
  });
});
