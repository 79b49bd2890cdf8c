// Real clients, unmodified, pointed at the gateway the way `tameflare run` points them: curl, python3
// urllib, Node (undici fetch with ProxyAgent, node:https over a CONNECT tunnel) and git over HTTPS.
import { mkdtempSync, readFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DUMMY,
  type GatewayHarness,
  GITHUB_SECRET,
  PLAIN_SECRET,
  startGatewayHarness,
} from '../helpers/gateway-harness.js';
import { basicAuth, openTunnel, tlsOverTunnel } from '../helpers/proxy-tunnel.js';
import { cleanEnv, curl, runClient } from '../helpers/run-client.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ withGit: true });
});
afterAll(async () => {
  await h?.close();
});

describe('real clients through the gateway', () => {
  it('curl over HTTPS: the upstream gets the stored credential, never the dummy', async () => {
    const r = await curl([
      '-x',
      h.proxyUrl('bot'),
      '--cacert',
      h.caFile,
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      'https://api.github.com/repos/octo/hello',
    ]);
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body);
    expect(seen.upstream).toBe('github');
    expect(seen.headers.authorization).toBe(`Bearer ${GITHUB_SECRET}`);
    expect(JSON.stringify(seen.headers)).not.toContain(DUMMY);
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(r.headers).toMatch(/x-tameflare-request-id: [0-9a-f-]{36}/i);
  });

  it('curl over plain HTTP (absolute form): header credential injected, Proxy-Authorization stripped', async () => {
    const r = await curl([
      '-x',
      h.proxyUrl('bot'),
      '-H',
      `X-Api-Key: ${DUMMY}`,
      'http://plain.test/items?page=2&token=abc',
    ]);
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body);
    expect(seen.upstream).toBe('plain');
    expect(seen.url).toBe('/items?page=2&token=abc');
    expect(seen.headers['x-api-key']).toBe(PLAIN_SECRET);
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(r.headers).toMatch(/x-tameflare-request-id:/i);
  });

  it('python3 urllib with https_proxy and SSL_CERT_FILE', async () => {
    const script = [
      'import json, urllib.request',
      "req = urllib.request.Request('https://api.github.com/repos/octo/hello', headers={'Authorization': 'Bearer " +
        DUMMY +
        "'})",
      'r = urllib.request.urlopen(req, timeout=10)',
      "print(r.status, r.headers.get('X-TameFlare-Request-Id') is not None)",
      "print(json.loads(r.read())['headers']['authorization'])",
    ].join('\n');
    const r = await runClient('python3', ['-c', script], {
      env: cleanEnv({
        https_proxy: h.proxyUrl('bot'),
        HTTPS_PROXY: h.proxyUrl('bot'),
        SSL_CERT_FILE: h.bundleFile,
      }),
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['200 True', `Bearer ${GITHUB_SECRET}`]);
  });

  it('Node fetch with an undici ProxyAgent (https, and http tunnelled through CONNECT)', async () => {
    const dispatcher = new ProxyAgent({
      uri: h.proxyUrl('bot'),
      requestTls: { ca: readFileSync(h.caFile, 'utf8') },
    });
    try {
      const a = await fetch('https://api.github.com/repos/octo/hello', {
        dispatcher,
        headers: { authorization: `Bearer ${DUMMY}` },
      });
      expect(a.status).toBe(200);
      expect(a.headers.get('x-tameflare-request-id')).toBeTruthy();
      expect(((await a.json()) as { headers: Record<string, string> }).headers.authorization).toBe(
        `Bearer ${GITHUB_SECRET}`,
      );
      // undici tunnels http:// through CONNECT too: plain HTTP inside the tunnel, same pipeline.
      const b = await fetch('http://plain.test/ping', { dispatcher });
      expect(b.status).toBe(200);
      expect(((await b.json()) as { headers: Record<string, string> }).headers['x-api-key']).toBe(
        PLAIN_SECRET,
      );
    } finally {
      await dispatcher.close();
    }
  });

  it('node:https over a CONNECT tunnel keeps the connection alive across requests', async () => {
    const tunnel = await openTunnel(h.port, 'api.github.com:443', basicAuth('bot', h.keys['bot']!));
    expect(tunnel.status).toBe(200);
    const socket = await tlsOverTunnel(tunnel.socket, 'api.github.com', readFileSync(h.caFile, 'utf8'));
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    // Every request reuses the one TLS socket over the tunnel.
    (agent as unknown as { createConnection: () => typeof socket }).createConnection = () => socket;
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        https
          .get({ host: 'api.github.com', path, agent }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => {
              body += d.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
    const first = await get('/repos/octo/one');
    const second = await get('/repos/octo/two');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(JSON.parse(second.body).url).toBe('/repos/octo/two');
    agent.destroy();
    socket.destroy();
  });

  it('git clone over HTTPS through the gateway', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'tameflare-clone-')), 'hello');
    const r = await runClient('git', ['clone', '-q', 'https://github.com/octo/hello.git', dest], {
      env: cleanEnv({
        https_proxy: h.proxyUrl('bot'),
        GIT_SSL_CAINFO: h.bundleFile,
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: dest.replace(/hello$/, ''),
      }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dest, 'README.md'), 'utf8')).toBe('hello from git\n');
    expect(h.git!.authorizations.length).toBeGreaterThan(0);
    expect(h.git!.authorizations.every((a) => a === `Bearer ${GITHUB_SECRET}`)).toBe(true);
    // git (libcurl) probes the proxy without credentials first: that 407 challenge is not a row.
    const rows = await h.waitForRows(
      (rs) => rs.some((r) => r.action === 'github.git.fetch' && r.completed_at !== null),
      "host = 'github.com'",
    );
    expect(rows.every((r) => r.agent === 'bot' && r.decision === 'allow')).toBe(true);
  });
});
