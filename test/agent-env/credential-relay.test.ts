// The credential relay `run` gives Java: a client that sends no proxy credential (curl here, told to
// use the relay as its proxy) reaches the upstream through a forward proxy that demands one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CredentialRelay, startCredentialRelay } from '../../src/agent-env/credential-relay.js';
import { proxyUrlFor } from '../../src/agent-env/proxy-env.js';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.js';
import { minimalBaseEnv, runCaptured, startUpstream, type Upstream } from './helpers.js';
import { createTestCa, type TestCa } from './test-ca.js';

let dir: string;
let ca: TestCa;
let proxy: ForwardProxy;
let plain: Upstream;
let secure: Upstream;
let relay: CredentialRelay;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-relay-'));
  ca = await createTestCa(dir, ['upstream.test']);
  plain = await startUpstream();
  secure = await startUpstream({ cert: ca.leafCert, key: ca.leafKey });
  proxy = await startForwardProxy({
    routes: { 'upstream.test:80': plain.port, 'upstream.test:443': secure.port },
    credentials: 'java-bot:tf_sess_k/y',
  });
  relay = await startCredentialRelay(
    proxyUrlFor({ host: '127.0.0.1', port: proxy.port, agent: 'java-bot', key: 'tf_sess_k/y' }),
  );
});

afterAll(async () => {
  await Promise.all([relay?.close(), proxy?.close(), plain?.close(), secure?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.seen.length = 0;
});

const curl = (args: string[]) =>
  runCaptured('curl', ['-sS', '--proxy', `http://${relay.host}:${relay.port}`, ...args], minimalBaseEnv());

describe('credential relay', () => {
  it('adds the credential to CONNECT and relays the tunnel untouched (TLS end to end)', async () => {
    const out = await curl(['--cacert', ca.caCertPath, 'https://upstream.test/through-relay']);
    expect(out.stderr).toBe('');
    const arrived = JSON.parse(out.stdout) as { path: string; proxyAuthorization?: string };
    expect(arrived.path).toBe('/through-relay');
    expect(arrived.proxyAuthorization).toBeUndefined();
    expect(proxy.seen).toEqual([
      { kind: 'connect', target: 'upstream.test:443', credentials: 'java-bot:tf_sess_k/y' },
    ]);
  });

  it('adds the credential to absolute-form requests', async () => {
    const out = await curl(['http://upstream.test/plain-relay']);
    const arrived = JSON.parse(out.stdout) as { path: string; proxyAuthorization?: string };
    expect(arrived.path).toBe('/plain-relay');
    expect(arrived.proxyAuthorization).toBeUndefined();
    expect(proxy.seen).toEqual([
      { kind: 'absolute', target: 'http://upstream.test/plain-relay', credentials: 'java-bot:tf_sess_k/y' },
    ]);
  });

  it("passes the gateway's refusal back as it is", async () => {
    const out = await curl(['-v', 'https://blocked.test/']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/CONNECT tunnel failed, response 403|403 Forbidden/);
  });

  it('answers a request that is not for a proxy with a 400', async () => {
    const out = await runCaptured('curl', ['-sS', `http://${relay.host}:${relay.port}/`], minimalBaseEnv());
    expect(out.stdout).toContain('this is a proxy');
  });
});
