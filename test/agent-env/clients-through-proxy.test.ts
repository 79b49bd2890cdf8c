// Real clients in real child processes, started with the environment buildAgentEnvironment produces
// and the BUILT preload, against a real forward proxy. `upstream.test` does not resolve: only the
// proxy knows where it is, so a response at all proves the request went through the proxy.
import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAgentEnvironment, proxyUrlFor } from '../../src/agent-env/proxy-env.js';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.js';
import {
  assertBuilt,
  minimalBaseEnv,
  PRELOAD_PATH,
  runCaptured,
  startUpstream,
  type Upstream,
} from './helpers.js';
import { createTestCa } from './test-ca.js';

// Characters that must survive percent-encoding into the proxy URL and decoding by every client.
const AGENT = 'ag@nt one';
const KEY = 'tf_sess_k:ey/%?#';
const CREDENTIALS = `${AGENT}:${KEY}`;

let dir: string;
let proxy: ForwardProxy;
let plain: Upstream;
let secure: Upstream;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'tf-agent-env-'));
  const ca = await createTestCa(dir, ['upstream.test']);
  // The real ca-bundle.pem holds system roots too; the test CA alone is enough to prove it is read.
  const caBundlePath = join(dir, 'ca-bundle.pem');
  await writeFile(caBundlePath, ca.caCert);
  plain = await startUpstream();
  secure = await startUpstream({ cert: ca.leafCert, key: ca.leafKey });
  proxy = await startForwardProxy({
    routes: { 'upstream.test:80': plain.port, 'upstream.test:443': secure.port },
    credentials: CREDENTIALS,
  });
  const baseEnv = minimalBaseEnv();
  const proxyUrl = proxyUrlFor({ host: '127.0.0.1', port: proxy.port, agent: AGENT, key: KEY });
  env = {
    ...baseEnv,
    ...buildAgentEnvironment({
      proxyUrl,
      caCertPath: ca.caCertPath,
      caBundlePath,
      preloadPath: PRELOAD_PATH,
      baseEnv,
    }),
  };
});

afterAll(async () => {
  await Promise.all([proxy?.close(), plain?.close(), secure?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.seen.length = 0;
  plain.arrivals.length = 0;
  secure.arrivals.length = 0;
});

function node(script: string) {
  return runCaptured(process.execPath, ['--input-type=module', '-e', script], env);
}

/** The one request the upstream saw, checked to carry no proxy credential. */
function onlyArrival(upstream: Upstream, path: string) {
  expect(upstream.arrivals.map((a) => a.path)).toEqual([path]);
  expect(upstream.arrivals[0]!.proxyAuthorization).toBeUndefined();
  return upstream.arrivals[0]!;
}

describe('node (Node 20 needs the preload for all of these)', () => {
  it('global fetch of http:// goes through the proxy, silently', async () => {
    const out = await node(
      `const r = await fetch('http://upstream.test/fetch-http'); console.log(await r.text());`,
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).path).toBe('/fetch-http');
    // undici tunnels http:// with CONNECT by default; the gateway accepts both forms.
    expect(proxy.seen).toEqual([{ kind: 'connect', target: 'upstream.test:80', credentials: CREDENTIALS }]);
    onlyArrival(plain, '/fetch-http');
  });

  it('global fetch of https:// tunnels and trusts the CA through NODE_EXTRA_CA_CERTS', async () => {
    const out = await node(
      `const r = await fetch('https://upstream.test/fetch-https'); console.log(r.status);`,
    );
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200');
    expect(proxy.seen).toEqual([{ kind: 'connect', target: 'upstream.test:443', credentials: CREDENTIALS }]);
    onlyArrival(secure, '/fetch-https');
  });

  it('http.get sends absolute form with Proxy-Authorization', async () => {
    const out = await node(`
      import http from 'node:http';
      http.get('http://upstream.test/http-get?q=1', (res) => { res.setEncoding('utf8'); res.on('data', (d) => process.stdout.write(d)); });
    `);
    expect(out.stderr).toBe('');
    expect(proxy.seen).toEqual([
      { kind: 'absolute', target: 'http://upstream.test/http-get?q=1', credentials: CREDENTIALS },
    ]);
    expect(onlyArrival(plain, '/http-get?q=1').host).toBe('upstream.test');
  });

  it('http.request whose head is already serialized (raw header array) is tunnelled instead', async () => {
    const out = await node(`
      import http from 'node:http';
      const req = http.request({ host: 'upstream.test', path: '/raw', headers: ['Host', 'upstream.test', 'X-Raw', '1'] },
        (res) => { res.resume(); res.on('end', () => console.log(res.statusCode)); });
      req.end();
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200');
    expect(proxy.seen).toEqual([{ kind: 'connect', target: 'upstream.test:80', credentials: CREDENTIALS }]);
    onlyArrival(plain, '/raw');
  });

  it('`agent: false` (a fresh agent per request) is routed the same way', async () => {
    const out = await node(`
      import http from 'node:http';
      import https from 'node:https';
      const get = (mod, url) => new Promise((resolve, reject) =>
        mod.get(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject));
      console.log(await get(http, 'http://upstream.test/fresh'), await get(https, 'https://upstream.test/fresh-tls'));
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200 200');
    expect(proxy.seen).toEqual([
      { kind: 'absolute', target: 'http://upstream.test/fresh', credentials: CREDENTIALS },
      { kind: 'connect', target: 'upstream.test:443', credentials: CREDENTIALS },
    ]);
    onlyArrival(plain, '/fresh');
    onlyArrival(secure, '/fresh-tls');
  });

  it('https.get goes through a CONNECT tunnel and verifies the upstream against NODE_EXTRA_CA_CERTS', async () => {
    const out = await node(`
      import https from 'node:https';
      const get = (path) => new Promise((resolve, reject) => https.get('https://upstream.test' + path, (res) => {
        let body = ''; res.setEncoding('utf8'); res.on('data', (d) => (body += d)); res.on('end', () => resolve(body));
      }).on('error', reject));
      // Two requests: the second must reuse the pooled tunnel (one CONNECT).
      console.log(await get('/https-1'));
      console.log(await get('/https-2'));
    `);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(proxy.seen).toEqual([{ kind: 'connect', target: 'upstream.test:443', credentials: CREDENTIALS }]);
    expect(secure.arrivals.map((a) => [a.path, a.proxyAuthorization])).toEqual([
      ['/https-1', undefined],
      ['/https-2', undefined],
    ]);
  });

  it('an https:// upstream the CA does not vouch for is still rejected', async () => {
    // Leaf for upstream.test, asked for as 127.0.0.1 (NO_PROXY, direct): the name does not match.
    const out = await node(`
      import https from 'node:https';
      https.get('https://127.0.0.1:${secure.port}/', () => console.log('accepted')).on('error', (e) => console.log(e.code));
    `);
    expect(out.stdout.trim()).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('a refused tunnel fails the request with the proxy status and its explanation', async () => {
    const out = await node(`
      import https from 'node:https';
      https.get('https://blocked.test/', () => console.log('accepted')).on('error', (e) => console.log(e.message));
    `);
    expect(out.stdout).toContain('proxy refused tunnel to blocked.test:443: 403 Forbidden');
    expect(out.stdout).toContain('connector_not_found');
  });

  it('undici (the npm package) request() follows the global dispatcher', async () => {
    const out = await node(`
      import { request } from 'undici';
      const { statusCode, body } = await request('http://upstream.test/undici');
      await body.text();
      console.log(statusCode);
    `);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('200');
    onlyArrival(plain, '/undici');
  });

  it('loopback is NO_PROXY: fetch and http.get reach 127.0.0.1 directly, without the credential', async () => {
    const out = await node(`
      import http from 'node:http';
      await (await fetch('http://127.0.0.1:${plain.port}/direct-fetch')).text();
      http.get('http://localhost:${plain.port}/direct-http', (res) => res.resume());
    `);
    expect(out.stderr).toBe('');
    expect(proxy.seen).toEqual([]);
    expect(plain.arrivals.map((a) => [a.path, a.proxyAuthorization])).toEqual([
      ['/direct-fetch', undefined],
      ['/direct-http', undefined],
    ]);
  });

  it('without undici next to it, the preload says so in one line and changes nothing', async () => {
    const lonely = join(dir, 'lonely');
    await mkdir(lonely);
    await copyFile(PRELOAD_PATH, join(lonely, 'preload.cjs'));
    await cp(join(dirname(PRELOAD_PATH), 'preload'), join(lonely, 'preload'), { recursive: true });
    const lonelyEnv = { ...env, NODE_OPTIONS: `--require ${join(lonely, 'preload.cjs')}` };
    const out = await runCaptured(process.execPath, ['-e', 'console.log("still runs")'], lonelyEnv, lonely);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('still runs\n');
    expect(out.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(out.stderr).toMatch(/^tameflare: proxy preload not applied/);
  });
});

describe('other runtimes read the variables themselves', () => {
  it('curl uses the lower-case http_proxy', async () => {
    const out = await runCaptured('curl', ['-sS', 'http://upstream.test/curl'], env);
    expect(out.stderr).toBe('');
    expect(proxy.seen).toEqual([
      { kind: 'absolute', target: 'http://upstream.test/curl', credentials: CREDENTIALS },
    ]);
    onlyArrival(plain, '/curl');
  });

  it('curl over https tunnels and trusts CURL_CA_BUNDLE', async () => {
    const out = await runCaptured('curl', ['-sS', 'https://upstream.test/curl-tls'], env);
    expect(out.stderr).toBe('');
    expect(proxy.seen).toEqual([{ kind: 'connect', target: 'upstream.test:443', credentials: CREDENTIALS }]);
    onlyArrival(secure, '/curl-tls');
  });

  it('python3 urllib goes through the proxy, and trusts SSL_CERT_FILE over https', async () => {
    const script =
      'import sys, urllib.request\nfor u in sys.argv[1:]: print(urllib.request.urlopen(u).status)';
    const out = await runCaptured(
      'python3',
      ['-c', script, 'http://upstream.test/py', 'https://upstream.test/py-tls'],
      env,
    );
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('200\n200\n');
    expect(proxy.seen).toEqual([
      { kind: 'absolute', target: 'http://upstream.test/py', credentials: CREDENTIALS },
      { kind: 'connect', target: 'upstream.test:443', credentials: CREDENTIALS },
    ]);
    onlyArrival(plain, '/py');
    onlyArrival(secure, '/py-tls');
  });

  it('git over https tunnels and trusts GIT_SSL_CAINFO', async () => {
    // The fake upstream is no git server; reaching it over verified TLS is what is under test.
    const out = await runCaptured('git', ['ls-remote', 'https://upstream.test/repo.git'], env);
    expect(out.code).not.toBe(0);
    expect(out.stderr).not.toMatch(/certificate|SSL/i);
    // git (libcurl with CURLAUTH_ANY) first asks without credentials, then answers the 407.
    expect(proxy.seen.map((s) => s.target)).toEqual(['upstream.test:443', 'upstream.test:443']);
    expect(proxy.seen[1]!.credentials).toBe(CREDENTIALS);
    expect(secure.arrivals[0]?.path).toBe('/repo.git/info/refs?service=git-upload-pack');
  });
});
