// Issue 9 item 2: a connector's stored credential never travels in cleartext unless that connector
// explicitly allows it (an internal host without TLS). curl and raw sockets against the spawned daemon;
// the recording upstreams prove what did (and did not) arrive.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeOn, onlyResponse, problemOf, rawConnect, rawExchange } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

const run = promisify(execFile);
let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

/** Everything that reached the cleartext upstream (api.github.com:80, strict.test:80, ...). */
function cleartextSeen(): string {
  return JSON.stringify(gw.plain.seen);
}

describe('a connector without allow_cleartext', () => {
  it('curl http://api.github.com/...: 403 insecure_transport with a hint, the token never sent', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '-x',
      gw.proxyUrl(),
      '-H',
      'Authorization: Bearer dummy',
      'http://api.github.com/repos/octo/cleartext',
    ]);
    const problem = JSON.parse(stdout) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 403, code: 'insecure_transport', agent: 'bot' });
    expect(String(problem['detail'])).toContain('https://api.github.com/');
    expect(gw.plain.seen.some((s) => s.url.startsWith('/repos/octo/cleartext'))).toBe(false);
    expect(cleartextSeen()).not.toContain(gw.secrets.github);
    const row = await gw.waitForRow("path = '/repos/octo/cleartext'");
    expect(row).toMatchObject({ host: 'api.github.com', decision: 'deny', status: 403 });
    expect(row.reason).toMatch(/^insecure_transport: /);
  });

  it('the same connector over https: injected', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--cacert',
      gw.caFile,
      '-x',
      gw.proxyUrl(),
      'https://strict.test/over-tls',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ upstream: 'tls' });
    const seen = gw.tls.seen.find((s) => s.url === '/over-tls');
    expect(seen?.headers.authorization).toBe(`Bearer ${gw.secrets.strict}`);
  });

  it('plain HTTP inside a CONNECT tunnel is cleartext too: 403', async () => {
    const socket = await rawConnect(gw.port, 'strict.test:80', gw.proxyAuth());
    const text = await exchangeOn(
      socket,
      'GET /in-tunnel HTTP/1.1\r\nHost: strict.test\r\nConnection: close\r\n\r\n',
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(403);
    expect(problemOf(res)['code']).toBe('insecure_transport');
    expect(gw.plain.seen.some((s) => s.url === '/in-tunnel')).toBe(false);
  });

  it('a WebSocket handshake over ws:// is refused the same way', async () => {
    const text = await rawExchange(
      gw.port,
      'GET http://strict.test/ws HTTP/1.1\r\nHost: strict.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth()}\r\n\r\n`,
    );
    const res = onlyResponse(text);
    expect(res.status).toBe(403);
    expect(problemOf(res)['code']).toBe('insecure_transport');
    expect(gw.plain.seen.some((s) => s.url === '/ws')).toBe(false);
  });

  it('monitor mode does not shadow it (it is not a decision)', async () => {
    const text = await rawExchange(
      gw.port,
      'GET http://strict.test/monitored HTTP/1.1\r\nHost: strict.test\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth('watcher')}\r\nConnection: close\r\n\r\n`,
    );
    expect(onlyResponse(text).status).toBe(403);
    expect(cleartextSeen()).not.toContain(gw.secrets.strict);
  });
});

describe('what cleartext still allows', () => {
  it('a connector with allow_cleartext: injected over http://', async () => {
    const text = await rawExchange(
      gw.port,
      'GET http://plain.test/internal HTTP/1.1\r\nHost: plain.test\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    );
    expect(onlyResponse(text).status).toBe(200);
    expect(gw.plain.seen.find((s) => s.url === '/internal')?.headers['x-api-key']).toBe(gw.secrets.plain);
  });

  it('a connector with no stored credential: the agent’s own header passes, nothing injected', async () => {
    const text = await rawExchange(
      gw.port,
      'GET http://open.test/own HTTP/1.1\r\nHost: open.test\r\nAuthorization: Bearer agent-own\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    );
    expect(onlyResponse(text).status).toBe(200);
    expect(gw.plain.seen.find((s) => s.url === '/own')?.headers.authorization).toBe('Bearer agent-own');
  });

  it('turning allow_cleartext off takes effect with the next snapshot', async () => {
    await gw.apply((s) => {
      const plain = s.connectors.find((c) => c.name === 'plain')!;
      plain.allowCleartext = false;
    });
    const text = await rawExchange(
      gw.port,
      'GET http://plain.test/now-refused HTTP/1.1\r\nHost: plain.test\r\n' +
        `Proxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    );
    expect(problemOf(onlyResponse(text))['code']).toBe('insecure_transport');
    await gw.apply((s) => {
      s.connectors.find((c) => c.name === 'plain')!.allowCleartext = true;
    });
  });
});
