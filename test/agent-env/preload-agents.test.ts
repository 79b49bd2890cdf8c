// The preload against clients that do not use Node's global agents: keep-alive agents a library
// builds itself (stripe, openai 4 through agentkeepalive), ws, node:http2, raw tls.connect, plus
// Node 20's fetch with a caller-set Content-Length and `node --env-file`. Real child processes, the
// BUILT preload and a real forward proxy; `*.test` names resolve only through the proxy, so a
// response at all proves the request went through it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAgentEnvironment, formatEnvironment, proxyUrlFor } from '../../src/agent-env/proxy-env.js';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.js';
import {
  assertBuilt,
  minimalBaseEnv,
  PRELOAD_PATH,
  runCaptured,
  startHttp2Upstream,
  startUpstream,
  type Upstream,
} from './helpers.js';
import { createTestCa } from './test-ca.js';

const CREDENTIALS = 'bot:tf_sess_key';

let dir: string;
let proxy: ForwardProxy;
let plain: Upstream;
let secure: Upstream;
let h2: Upstream;
let agentVars: Record<string, string>;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'tf-preload-'));
  const ca = await createTestCa(dir, ['upstream.test', 'h2.test']);
  plain = await startUpstream();
  secure = await startUpstream({ cert: ca.leafCert, key: ca.leafKey });
  h2 = await startHttp2Upstream({ cert: ca.leafCert, key: ca.leafKey });
  proxy = await startForwardProxy({
    routes: { 'upstream.test:80': plain.port, 'upstream.test:443': secure.port, 'h2.test:443': h2.port },
    credentials: CREDENTIALS,
  });
  const baseEnv = minimalBaseEnv();
  agentVars = buildAgentEnvironment({
    proxyUrl: proxyUrlFor({ host: '127.0.0.1', port: proxy.port, agent: 'bot', key: 'tf_sess_key' }),
    caCertPath: ca.caCertPath,
    caBundlePath: ca.caCertPath,
    preloadPath: PRELOAD_PATH,
    baseEnv,
  });
  env = { ...baseEnv, ...agentVars };
});

afterAll(async () => {
  await Promise.all([proxy?.close(), plain?.close(), secure?.close(), h2?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.seen.length = 0;
  for (const upstream of [plain, secure, h2]) upstream.arrivals.length = 0;
});

function node(script: string, childEnv = env) {
  return runCaptured(process.execPath, ['--input-type=module', '-e', script], childEnv);
}

const CONNECT = (target: string) => ({ kind: 'connect', target, credentials: CREDENTIALS });

/** What reached the upstream, checked to carry no proxy credential. */
function paths(upstream: Upstream): string[] {
  expect(upstream.arrivals.every((a) => a.proxyAuthorization === undefined)).toBe(true);
  return upstream.arrivals.map((a) => a.path);
}

const GET = `const get = (mod, url, agent) => new Promise((resolve, reject) =>
  mod.get(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject));`;

describe('agents a library builds itself', () => {
  it('a keep-alive https.Agent of its own (stripe) tunnels, and reuses the tunnel', async () => {
    const out = await node(`
      import https from 'node:https';
      ${GET}
      const agent = new https.Agent({ keepAlive: true });
      console.log(await get(https, 'https://upstream.test/own-1', agent), await get(https, 'https://upstream.test/own-2', agent));
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200 200');
    expect(proxy.seen).toEqual([CONNECT('upstream.test:443')]);
    expect(paths(secure)).toEqual(['/own-1', '/own-2']);
  });

  it('an http.Agent of its own sends absolute form with the credential', async () => {
    const out = await node(`
      import http from 'node:http';
      ${GET}
      console.log(await get(http, 'http://upstream.test/own-plain', new http.Agent({ keepAlive: true })));
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200');
    expect(proxy.seen).toEqual([
      { kind: 'absolute', target: 'http://upstream.test/own-plain', credentials: CREDENTIALS },
    ]);
    expect(paths(plain)).toEqual(['/own-plain']);
  });

  it('agentkeepalive (openai 4, older Anthropic SDKs), which needs the socket back at once', async () => {
    const out = await node(`
      import https from 'node:https';
      import http from 'node:http';
      import Agent from 'agentkeepalive';
      ${GET}
      const tls = new Agent.HttpsAgent({ keepAlive: true, timeout: 60000 });
      const plain = new Agent({ keepAlive: true, timeout: 60000 });
      console.log(await get(https, 'https://upstream.test/ka-1', tls), await get(https, 'https://upstream.test/ka-2', tls),
        await get(http, 'http://upstream.test/ka-plain', plain));
      // No destroy(): idle pooled connections must not keep the process alive (the proxy never
      // closes them, so a leaked reference would hang it until runCaptured kills it).
    `);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe('200 200 200');
    expect(proxy.seen).toEqual([CONNECT('upstream.test:443'), CONNECT('upstream.test:80')]);
    expect(paths(secure)).toEqual(['/ka-1', '/ka-2']);
    expect(paths(plain)).toEqual(['/ka-plain']);
  });
});

describe('clients that bypass agents', () => {
  it('ws over wss:// and ws:// (its own createConnection)', async () => {
    const out = await node(`
      import WebSocket from 'ws';
      const talk = (url) => new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.on('open', () => ws.send('hi'));
        ws.on('message', (m) => { resolve(m.toString()); ws.close(); });
        ws.on('error', reject);
      });
      console.log(await talk('wss://upstream.test/socket'), await talk('ws://upstream.test/plain-socket'));
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('echo:hi echo:hi');
    expect(proxy.seen).toEqual([CONNECT('upstream.test:443'), CONNECT('upstream.test:80')]);
    expect(paths(secure)).toEqual(['/socket']);
    expect(paths(plain)).toEqual(['/plain-socket']);
  });

  it('node:http2 tunnels through tls.connect', async () => {
    const out = await node(`
      import http2 from 'node:http2';
      const session = http2.connect('https://h2.test');
      session.on('error', (e) => { console.error(e.message); process.exit(1); });
      const req = session.request({ ':path': '/over-h2' });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => { console.log(JSON.parse(body).protocol); session.close(); });
      req.end();
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('h2');
    expect(proxy.seen).toEqual([CONNECT('h2.test:443')]);
    expect(paths(h2)).toEqual(['/over-h2']);
  });

  it('a refused tunnel is a visible error for http2 and raw TLS, never a direct connection', async () => {
    const out = await node(`
      import http2 from 'node:http2';
      import tls from 'node:tls';
      await new Promise((resolve) => {
        const s = http2.connect('https://blocked.test');
        s.on('error', (e) => { console.log('h2:', e.message); resolve(); });
      });
      await new Promise((resolve) => {
        tls.connect(443, 'blocked.test', { servername: 'blocked.test' }, () => console.log('connected'))
          .on('error', (e) => { console.log('tls:', e.message); resolve(); });
      });
    `);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/^(h2|tls): proxy refused tunnel to blocked\.test:443: 403 Forbidden/);
      expect(line).toContain('connector_not_found');
    }
    expect(proxy.seen).toEqual([CONNECT('blocked.test:443'), CONNECT('blocked.test:443')]);
  });
});

describe('the preload does not break what works without it', () => {
  it('Node 20\'s fetch with a caller-set Content-Length (sent by undici 6 as "2, 2")', async () => {
    const script = `
      const r = await fetch('http://upstream.test/post', { method: 'POST', headers: { 'content-length': '2' }, body: 'hi' });
      console.log(r.status, JSON.parse(await r.text()).contentLength);`;
    // The same call with no proxy at all, straight to the upstream, as the baseline.
    const direct = await node(script.replace('http://upstream.test', `http://127.0.0.1:${plain.port}`), {
      PATH: process.env['PATH'] ?? '',
    });
    expect(direct.stdout.trim()).toBe('200 2');
    const out = await node(script);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200 2');
    expect(paths(plain)).toEqual(['/post', '/post']);
  });

  it('`node --env-file` with `tameflare env --format dotenv` trusts the CA and goes through the proxy', async () => {
    const file = join(dir, 'agent.env');
    await writeFile(file, formatEnvironment(agentVars, 'dotenv'), { mode: 0o600 });
    const out = await runCaptured(
      process.execPath,
      [
        `--env-file=${file}`,
        '--input-type=module',
        '-e',
        `import https from 'node:https';
         ${GET}
         const r = await fetch('https://upstream.test/env-file-fetch');
         console.log(r.status, await get(https, 'https://upstream.test/env-file-https'));`,
      ],
      { PATH: process.env['PATH'] ?? '' },
    );
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200 200');
    expect(proxy.seen).toEqual([CONNECT('upstream.test:443'), CONNECT('upstream.test:443')]);
    expect(paths(secure)).toEqual(['/env-file-fetch', '/env-file-https']);
  });
});
