// Issue 9 item 1: the Host header is the gateway's, not the agent's (RFC 9112 3.2). With the real
// credential attached, a Host the agent chose would let a shared front end route the request (and the
// token) to another site. Raw sockets, curl, and recording upstreams behind the spawned daemon.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeenRequest } from '../helpers/fake-upstream.js';
import { exchangeOn, interceptedSession, onlyResponse, problemOf, rawExchange } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

const run = promisify(execFile);
let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

/** Every Host line the upstream received for the one request whose URL starts with `path`. */
function hostsSeen(upstream: { seen: SeenRequest[] }, path: string): string[] {
  const hit = seenAt(upstream, path);
  expect(hit, `the upstream saw ${path} ${hit.length} times`).toHaveLength(1);
  return hostValues(hit[0]!);
}

function hostValues(seen: SeenRequest): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < seen.rawHeaders.length; i += 2) {
    if (seen.rawHeaders[i]!.toLowerCase() === 'host') out.push(seen.rawHeaders[i + 1]!);
  }
  return out;
}

function seenAt(upstream: { seen: SeenRequest[] }, path: string): SeenRequest[] {
  return upstream.seen.filter((s) => s.url.startsWith(path));
}

describe('absolute form (plain HTTP on the proxy port)', () => {
  it("curl -H 'Host: evil.example': the upstream gets the target's authority and the credential", async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '-x',
      gw.proxyUrl(),
      '-H',
      'Host: evil.example',
      'http://plain.test/host/curl',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ upstream: 'plain' });
    const [seen] = seenAt(gw.plain, '/host/curl');
    expect(hostValues(seen!)).toEqual(['plain.test']);
    expect(seen!.headers['x-api-key']).toBe(gw.secrets.plain);
    expect(JSON.stringify(seen!.rawHeaders)).not.toContain('evil.example');
    const row = await gw.waitForRow("path = '/host/curl'");
    expect(row).toMatchObject({ host: 'plain.test', status: 200 });
  });

  it('more than one Host line: 400 problem+json, nothing forwarded, a row', async () => {
    const text = await rawExchange(
      gw.port,
      'GET http://plain.test/host/two HTTP/1.1\r\nHost: plain.test\r\nHost: evil.example\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(400);
    expect(problemOf(res)).toMatchObject({ code: 'bad_request', agent: 'bot' });
    expect(String(problemOf(res)['detail'])).toMatch(/2 Host header fields/);
    expect(seenAt(gw.plain, '/host/two')).toHaveLength(0);
    expect(await gw.waitForRow("path = '/host/two'")).toMatchObject({ status: 400, decision: 'deny' });
  });

  it('HTTP/1.0 without Host gets one: the authority of the target', async () => {
    const text = await rawExchange(
      gw.port,
      `GET http://plain.test:80/host/v10 HTTP/1.0\r\nProxy-Authorization: ${gw.proxyAuth()}\r\n\r\n`,
    );
    expect(onlyResponse(text).status).toBe(200);
    expect(hostsSeen(gw.plain, '/host/v10')).toEqual(['plain.test']);
  });

  it('HTTP/1.1 without Host: 400 problem+json (not Node’s empty 400)', async () => {
    const text = await rawExchange(
      gw.port,
      `GET http://plain.test/host/none HTTP/1.1\r\nProxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(400);
    expect(String(problemOf(res)['detail'])).toMatch(/must carry a Host/);
    expect(seenAt(gw.plain, '/host/none')).toHaveLength(0);
  });

  it('a target port other than 80 is kept in the Host sent upstream', async () => {
    const text = await rawExchange(
      gw.port,
      'GET http://plain.test:8080/host/port HTTP/1.1\r\nHost: plain.test\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    );
    expect(onlyResponse(text).status).toBe(200);
    expect(hostsSeen(gw.plain, '/host/port')).toEqual(['plain.test:8080']);
  });
});

describe('inside an intercepted tunnel', () => {
  const session = () => interceptedSession(gw.port, 'api.github.com', gw.proxyAuth(), gw.caPem);

  it('exactly the tunnel host: forwarded with one Host line, the row names the host contacted', async () => {
    const text = await exchangeOn(
      await session(),
      'GET /repos/octo/one HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n',
    );
    expect(onlyResponse(text).status).toBe(200);
    const [seen] = seenAt(gw.tls, '/repos/octo/one');
    expect(hostValues(seen!)).toEqual(['api.github.com']);
    expect(seen!.headers.authorization).toBe(`Bearer ${gw.secrets.github}`);
    expect(await gw.waitForRow("path = '/repos/octo/one'")).toMatchObject({
      host: 'api.github.com',
      status: 200,
    });
  });

  it('two Host lines (the tunnel host first, another second): 400, nothing forwarded', async () => {
    const text = await exchangeOn(
      await session(),
      'GET /repos/octo/two HTTP/1.1\r\nHost: api.github.com\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(400);
    expect(problemOf(res)['code']).toBe('bad_request');
    expect(seenAt(gw.tls, '/repos/octo/two')).toHaveLength(0);
  });

  it('another host in Host: 421 tls_host_mismatch', async () => {
    const text = await exchangeOn(
      await session(),
      'GET /repos/octo/other HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(421);
    expect(problemOf(res)['code']).toBe('tls_host_mismatch');
    expect(seenAt(gw.tls, '/repos/octo/other')).toHaveLength(0);
  });

  it('an absolute-form target naming another host: 421, even with the right Host', async () => {
    const text = await exchangeOn(
      await session(),
      'GET https://evil.example/repos/octo/abs HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n',
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(421);
    expect(problemOf(res)['code']).toBe('tls_host_mismatch');
    expect(seenAt(gw.tls, '/repos/octo/abs')).toHaveLength(0);
  });

  it('the same host on another port in Host: 421', async () => {
    const text = await exchangeOn(
      await session(),
      'GET /repos/octo/port HTTP/1.1\r\nHost: api.github.com:8443\r\nConnection: close\r\n\r\n',
    );
    expect(onlyResponse(text).status).toBe(421);
  });

  it('HTTP/1.0 without Host: forwarded with the tunnel host', async () => {
    const text = await exchangeOn(await session(), 'GET /repos/octo/v10 HTTP/1.0\r\n\r\n');
    expect(onlyResponse(text).status).toBe(200);
    expect(hostsSeen(gw.tls, '/repos/octo/v10')).toEqual(['api.github.com']);
  });

  it('an SNI naming another host fails the handshake', async () => {
    const { rawConnect, tlsOver } = await import('./raw-http.js');
    const socket = await rawConnect(gw.port, 'api.github.com:443', gw.proxyAuth());
    await expect(tlsOver(socket, 'evil.example', gw.caPem)).rejects.toThrow();
  });
});
