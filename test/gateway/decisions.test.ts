// Every refusal the gateway writes itself: right status, stable code, problem+json, request id.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGatewayHarness } from '../helpers/gateway-harness.js';
import { basicAuth, openTunnel, tlsOverTunnel } from '../helpers/proxy-tunnel.js';
import { curl } from '../helpers/run-client.js';

let h: GatewayHarness;
let ca: string;
// An upstream that accepts TCP connections and never says a word: a TLS handshake to it never ends.
const silent = net.createServer(() => {});
// An upstream that drops the connection as soon as a request's head has arrived.
const dropper = http.createServer((req) => req.socket.destroy());
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  const dropperPort = (dropper.address() as net.AddressInfo).port;
  h = await startGatewayHarness({
    upstreamTimeoutMs: 500,
    upstreamConnectTimeoutMs: 1_500,
    extraConnectTo: [
      { host: 'down.test', port: 443, targetHost: '127.0.0.1', targetPort: silentPort },
      { host: 'down.test', port: 81, targetHost: '127.0.0.1', targetPort: dropperPort },
    ],
    mutate(s) {
      s.rateLimits.push({
        id: 'tight',
        agent: 'bot',
        connector: 'plain',
        action: 'http.post',
        rate: 0.001,
        burst: 1,
      });
    },
  });
  ca = readFileSync(h.caFile, 'utf8');
});
afterAll(async () => {
  await h?.close();
  silent.close();
  dropper.close();
});

function problemOf(body: string) {
  const p = JSON.parse(body) as Record<string, unknown>;
  expect(p['type']).toBe(`https://tameflare.dev/problems/${p['code']}`);
  expect(typeof p['title']).toBe('string');
  expect(typeof p['detail']).toBe('string');
  expect(p['request_id']).toMatch(/^[0-9a-f-]{36}$/);
  return p;
}

async function viaProxy(
  agent: string,
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const dispatcher = new ProxyAgent({ uri: h.proxyUrl(agent), requestTls: { ca } });
  try {
    const res = await fetch(url, { ...init, dispatcher });
    return { status: res.status, statusText: res.statusText, headers: res.headers, body: await res.text() };
  } finally {
    await dispatcher.close();
  }
}

describe('refusals', () => {
  it('a denied action: 403 permission_denied naming the permission', async () => {
    const r = await viaProxy('bot', 'https://api.github.com/repos/octo/hello', { method: 'DELETE' });
    expect(r.status).toBe(403);
    // Clients that print only the status line still say why.
    expect(r.statusText).toBe('Denied by TameFlare: github.repo.delete (permission_denied)');
    expect(r.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    const p = problemOf(r.body);
    expect(p).toMatchObject({
      code: 'permission_denied',
      status: 403,
      agent: 'bot',
      action: 'github.repo.delete',
    });
    expect(p['detail']).toContain('github.repo.delete');
    expect(r.headers.get('x-tameflare-request-id')).toBe(p['request_id']);
  });

  it('require_approval without a control plane to hold it: 503 approval_unavailable (fails closed)', async () => {
    const before = h.github.seen.length;
    const r = await viaProxy('bot', 'https://api.github.com/repos/octo/hello/pulls/7/merge', {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('30');
    expect(problemOf(r.body)).toMatchObject({ code: 'approval_unavailable', action: 'github.pr.merge' });
    expect(h.github.seen.length).toBe(before);
  });

  it('CONNECT to a host no connector covers: 403 connector_not_found before any handshake', async () => {
    const t = await openTunnel(h.port, 'example.org:443', basicAuth('bot', h.keys['bot']!));
    expect(t.status).toBe(403);
    expect(t.reason).toBe('TameFlare: No connector covers this host (connector_not_found)');
    expect(t.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(problemOf(t.body)).toMatchObject({ code: 'connector_not_found', agent: 'bot' });
  });

  it('plain HTTP to an uncovered host: 403 connector_not_found', async () => {
    const r = await curl(['-x', h.proxyUrl('bot'), 'http://nowhere.test/']);
    expect(r.status).toBe(403);
    expect(problemOf(r.body)['code']).toBe('connector_not_found');
  });

  it('unknown agent, bad key and no credentials: 407 agent_unknown with Proxy-Authenticate', async () => {
    for (const auth of [basicAuth('ghost', 'tf_agent_x'), basicAuth('bot', 'tf_agent_wrong'), undefined]) {
      const t = await openTunnel(h.port, 'api.github.com:443', auth);
      expect(t.status).toBe(407);
      expect(t.headers['proxy-authenticate']).toBe('Basic realm="tameflare"');
      expect(problemOf(t.body)['code']).toBe('agent_unknown');
    }
    const r = await curl(['-x', `http://bot:nope@127.0.0.1:${h.port}`, 'http://plain.test/']);
    expect(r.status).toBe(407);
    expect(r.headers).toMatch(/proxy-authenticate: Basic realm="tameflare"/i);
  });

  it("proxy-chain's own refusals are problem+json too (a Proxy-Authorization that is not Basic)", async () => {
    const t = await openTunnel(h.port, 'api.github.com:443', 'Bearer something');
    expect(t.status).toBe(400);
    expect(t.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(problemOf(t.body)['code']).toBe('bad_request');
  });

  it('a suspended agent: 403 agent_suspended', async () => {
    const t = await openTunnel(h.port, 'api.github.com:443', basicAuth('frozen', h.keys['frozen']!));
    expect(t.status).toBe(403);
    expect(problemOf(t.body)).toMatchObject({ code: 'agent_suspended', agent: 'frozen' });
  });

  it('egress to a metadata address (IP literal target): 403 egress_blocked', async () => {
    const r = await curl(['-x', h.proxyUrl('bot'), 'http://metadata.test/latest/meta-data']);
    expect(r.status).toBe(403);
    expect(problemOf(r.body)['code']).toBe('egress_blocked');
  });

  it('a body a connector must read, over the limit: 413 request_too_large', async () => {
    const query = JSON.stringify({ query: `mutation { x(input: {a: "${'a'.repeat(100 * 1024)}"}) { y } }` });
    const r = await viaProxy('bot', 'https://api.github.com/graphql', {
      method: 'POST',
      body: query,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(413);
    expect(problemOf(r.body)['code']).toBe('request_too_large');
  });

  it('a GraphQL body within the limit is read, mapped and re-sent byte for byte', async () => {
    const query = JSON.stringify({ query: 'query { viewer { login } }' });
    const r = await viaProxy('bot', 'https://api.github.com/graphql', {
      method: 'POST',
      body: query,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).bodyBytes).toBe(Buffer.byteLength(query));
  });

  it('an upstream that refuses connections: 502 upstream_unreachable', async () => {
    const r = await curl(['-x', h.proxyUrl('bot'), 'http://down.test/']);
    expect(r.status).toBe(502);
    expect(problemOf(r.body)['code']).toBe('upstream_unreachable');
  });

  it('an upstream that never finishes the TLS handshake: 504 upstream_timeout once the connect timeout ends', async () => {
    // The connect timeout covers the handshake too: without it, the request would wait forever (the
    // headers timeout only starts once the request is on the wire).
    const r = await viaProxy('bot', 'https://down.test/');
    expect(r.status).toBe(504);
    const problem = problemOf(r.body);
    expect(problem['code']).toBe('upstream_timeout');
    expect(problem['detail']).toBe('connecting to the upstream timed out');
    const [row] = await h.waitForRows(
      (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
      "host = 'down.test' AND status = 504",
    );
    expect(row!.error).toBe('connecting to the upstream timed out');
  });

  it('an upstream that drops the connection while the body is still coming: 502, and the agent gets it', async () => {
    // The agent's body is streamed upstream as it arrives (part of it is already sent when the
    // upstream goes away); the failure midway is still a problem response on the agent's connection.
    const proxy = new URL(h.proxyUrl('bot'));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: proxy.hostname,
          port: Number(proxy.port),
          method: 'POST',
          path: 'http://down.test:81/upload',
          headers: {
            'proxy-authorization': basicAuth(proxy.username, decodeURIComponent(proxy.password)),
            'content-type': 'application/octet-stream',
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(16_384, 1)); // chunked: the length is not known up front
      setTimeout(() => req.end(Buffer.alloc(16_384, 2)), 300);
    });
    expect(answer.status).toBe(502);
    expect(problemOf(answer.body)['code']).toBe('upstream_unreachable');
    const [row] = await h.waitForRows(
      (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
      "path = '/upload'",
    );
    expect(row).toMatchObject({ status: 502, host: 'down.test' });
  });

  it('an upstream that never answers: 504 upstream_timeout', async () => {
    const r = await viaProxy('bot', 'https://api.github.com/hang');
    expect(r.status).toBe(504);
    expect(problemOf(r.body)['code']).toBe('upstream_timeout');
    const [row] = await h.waitForRows(
      (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
      "path = '/hang'",
    );
    expect(row).toMatchObject({ status: 504, decision: 'allow' });
    expect(row!.error).toMatch(/did not answer in time/);
  });

  it('rate limit: 429 rate_limited with Retry-After', async () => {
    const first = await viaProxy('bot', 'http://plain.test/r', { method: 'POST', body: 'x' });
    expect(first.status).toBe(200);
    const second = await viaProxy('bot', 'http://plain.test/r', { method: 'POST', body: 'x' });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(problemOf(second.body)['code']).toBe('rate_limited');
  });

  it('an SNI naming another host fails the handshake', async () => {
    const t = await openTunnel(h.port, 'api.github.com:443', basicAuth('bot', h.keys['bot']!));
    await expect(tlsOverTunnel(t.socket, 'evil.example', ca)).rejects.toThrow();
  });

  it('a Host header naming another host inside the tunnel: 421 tls_host_mismatch', async () => {
    const t = await openTunnel(h.port, 'api.github.com:443', basicAuth('bot', h.keys['bot']!));
    const socket = await tlsOverTunnel(t.socket, 'api.github.com', ca);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(
          {
            createConnection: () => socket,
            host: 'evil.example',
            path: '/',
            headers: { host: 'evil.example' },
          },
          resolve,
        )
        .on('error', reject);
    });
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(res.statusCode).toBe(421);
    expect(problemOf(body)['code']).toBe('tls_host_mismatch');
    socket.destroy();
  });

  it('an unknown path on the API port: 404 problem; /internal without the token: 401', async () => {
    const a = await curl([`http://127.0.0.1:${h.port}/nope`]);
    expect(a.status).toBe(404);
    expect(problemOf(a.body)['code']).toBe('not_found');
    const b = await curl([
      `http://127.0.0.1:${h.port}/internal/credentials`,
      '-H',
      'Authorization: Bearer wrong',
    ]);
    expect(b.status).toBe(401);
    expect(problemOf(b.body)['code']).toBe('unauthenticated');
  });
});

describe('raw tunnels (intercept=false)', () => {
  it('are decided once on tunnel.connect and carry TLS end to end, nothing injected', async () => {
    const t = await openTunnel(h.port, 'raw.test:443', basicAuth('bot', h.keys['bot']!));
    expect(t.status).toBe(200);
    // The agent talks TLS to the upstream itself: it must trust the upstream's CA, not ours.
    const socket = await tlsOverTunnel(t.socket, 'raw.test', h.upstreamCa.certPem);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(
          {
            createConnection: () => socket,
            host: 'raw.test',
            path: '/raw',
            headers: { authorization: 'Bearer own' },
          },
          resolve,
        )
        .on('error', reject);
    });
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(JSON.parse(body).headers.authorization).toBe('Bearer own');
    socket.destroy();
    const rows = await h.waitForRows(
      (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
      "host = 'raw.test'",
    );
    expect(rows[0]).toMatchObject({
      method: 'CONNECT',
      action: 'tunnel.connect',
      decision: 'allow',
      status: 200,
    });
    expect(rows[0]!.bytes_in).toBeGreaterThan(0);
    expect(rows[0]!.bytes_out).toBeGreaterThan(0);
  });

  it('without a permission for tunnel.connect: 403 at CONNECT', async () => {
    const t = await openTunnel(h.port, 'raw.test:443', basicAuth('porty', h.keys['porty']!));
    expect(t.status).toBe(403);
    expect(problemOf(t.body)).toMatchObject({ code: 'permission_denied', action: 'tunnel.connect' });
  });
});

describe('egress guard on resolved addresses', () => {
  it('a connector whose domain resolves to loopback is refused without the allow list', async () => {
    const strict = await startGatewayHarness({ allowPrivateEgress: [], serviceToken: null });
    try {
      const dispatcher = new ProxyAgent({
        uri: strict.proxyUrl('bot'),
        requestTls: { ca: readFileSync(strict.caFile, 'utf8') },
      });
      const res = await fetch('https://localhost/anything', { dispatcher });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('egress_blocked');
      // And the fake api.github.com (connect-to 127.0.0.1) is blocked too.
      const gh = await fetch('https://api.github.com/repos/octo/hello', { dispatcher });
      expect(gh.status).toBe(403);
      // Without a service token the internal API does not exist at all.
      const internal = await fetch(`http://127.0.0.1:${strict.port}/internal/credentials`, {
        headers: { authorization: 'Bearer anything' },
      });
      expect(internal.status).toBe(404);
      await dispatcher.close();
    } finally {
      await strict.close();
    }
  });
});
