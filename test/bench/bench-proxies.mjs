// The proxies the gateway bench measures, each run in its own child process (see gateway.mjs):
// - baseline: a bare proxy-chain + TLS interception proxy (no identity, decision or log);
// - the product itself, built by its composition root (createContext) from a Config as `serve`
//   builds it: `--role=gateway` (configured through its /internal API, as a control plane would;
//   no control plane to ship the outbox to) or `--role=all` (configured through the /v1 API of its
//   own control plane, which ingests every action event).
import { randomBytes, webcrypto } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

const DIST = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, DIST).href);

export async function startBaseline(config, connectTo) {
  const { Server } = await import('proxy-chain');
  const { loadCertificateAuthority } = await load('src/gateway/tls/certificate-authority.js');
  const { LeafCertificateCache } = await load('src/gateway/tls/leaf-certificates.js');
  const leaves = new LeafCertificateCache(
    await loadCertificateAuthority(config.interceptCa.certPem, config.interceptCa.keyPem),
  );
  const dial = new Map(connectTo.map((r) => [r.host, r]));
  const upstreamAgent = new https.Agent({ keepAlive: true, maxFreeSockets: 256, ca: config.upstreamCaPem });
  const inner = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const host = req.socket.tunnelHost;
    const to = dial.get(host);
    const up = https.request(
      {
        host: to.targetHost,
        port: to.targetPort,
        servername: host,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: upstreamAgent,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    prepareRequestFunction: ({ hostname }) => {
      const context = leaves.secureContextFor(hostname);
      const emitter = new EventEmitter();
      emitter.once('connection', (socket) => {
        context.then((secureContext) => {
          const t = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
          t.on('error', () => socket.destroy());
          t.tunnelHost = hostname;
          inner.emit('connection', t);
        });
      });
      return { customConnectServer: emitter };
    },
  });
  await server.listen();
  return {
    ready: { port: server.port, user: 'u', key: 'k', caPem: config.interceptCa.certPem },
    async close() {
      await server.close(true);
      upstreamAgent.destroy();
    },
  };
}

/** The product, `serve --role=ROLE` as the CLI builds it, configured with one agent and one connector. */
export async function startProduct(config, connectTo) {
  const { resolveConfig } = await load('src/config/resolve-config.js');
  const { createContext } = await load('src/daemon/create-context.js');
  const { createLogger } = await load('src/logging/create-logger.js');
  const dir = mkdtempSync(join(tmpdir(), 'tameflare-bench-'));
  const upstreamCaFile = join(dir, 'upstream-ca.pem');
  writeFileSync(upstreamCaFile, config.upstreamCaPem);
  const serviceToken = randomBytes(24).toString('hex');
  const { config: cfg } = resolveConfig({
    flags: {
      dataDir: dir,
      role: config.role,
      port: '0',
      gatewayPort: '0',
      upstreamCa: [upstreamCaFile],
      connectTo: connectTo.map((r) => `${r.host}:${r.port}:${r.targetHost}:${r.targetPort}`),
      unsafeAllowPrivateEgress: '127.0.0.0/8',
      logLevel: 'warn',
      trafficLogDurability: config.durability,
    },
    env: { GATEWAY_SERVICE_TOKEN: serviceToken },
  });
  const context = await createContext(cfg, { logger: createLogger({ level: 'warn' }), version: 'bench' });
  const urls = await context.start();
  const gatewayPort = Number(new URL(urls.gatewayUrl).port);
  const agentKey =
    config.role === 'all'
      ? await configureThroughControlPlane(
          urls.controlUrl,
          readFileSync(context.paths.cliToken, 'utf8').trim(),
        )
      : await configureThroughInternalApi(urls.gatewayUrl, serviceToken);
  return {
    ready: {
      port: gatewayPort,
      user: 'bot',
      key: agentKey,
      caPem: readFileSync(context.paths.caCert, 'utf8'),
    },
    paths: context.paths,
    /** The audit intake's synchronous runs on the event loop (role all): count per histogram bucket. */
    async ingestRuns() {
      if (!urls.controlUrl) return undefined;
      const text = await (await fetch(`${urls.controlUrl}/metrics`)).text();
      const buckets = [];
      for (const m of text.matchAll(/^tameflare_audit_ingest_run_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm))
        buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
      return buckets;
    },
    async close() {
      await context.close();
      await config.beforeRemove?.(context.paths); // the storage bench measures the closed files
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(context.paths.gatewayDb, { readonly: true });
      const rows = db.prepare('SELECT COUNT(*) AS n FROM traffic_log').get().n;
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return { rows };
    },
  };
}

const CONNECTOR = {
  type: 'generic',
  name: 'bench',
  domains: ['bench.test', '*.bench.test'],
  auth: 'bearer',
};

async function configureThroughControlPlane(controlUrl, token) {
  const api = async (method, path, body) => {
    const res = await fetch(`${controlUrl}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const { key } = await api('POST', '/agents', { name: 'bot' });
  await api('POST', '/connectors', CONNECTOR);
  await api('PUT', '/connectors/bench/credential', {
    secret: `bench-secret-${randomBytes(8).toString('hex')}`,
  });
  await api('POST', '/permissions', {
    agent: 'bot',
    connector: 'bench',
    action: 'http.*',
    decision: 'allow',
  });
  return key;
}

async function configureThroughInternalApi(gatewayUrl, serviceToken) {
  const { hashAgentKey } = await load('src/gateway/pipeline/identity.js');
  const key = `tf_agent_${randomBytes(24).toString('hex')}`;
  const put = async (path, body) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  await put('/internal/snapshot', {
    version: 1,
    generatedAt: new Date().toISOString(),
    agents: [
      {
        id: 'a1',
        name: 'bot',
        port: null,
        mode: 'enforce',
        labels: {},
        proxyAuth: true,
        status: 'active',
        keys: [{ id: 'k1', kind: 'agent', hash: hashAgentKey(key), expiresAt: null }],
      },
    ],
    connectors: [{ id: 'c1', intercept: true, options: {}, ...CONNECTOR }],
    permissions: [{ id: 'p1', agent: 'bot', connector: 'bench', action: 'http.*', decision: 'allow' }],
    policies: [],
    rateLimits: [],
    killSwitch: [],
  });
  await put('/internal/credentials/bench', { secret: `bench-secret-${randomBytes(8).toString('hex')}` });
  return key;
}

/** A leaf certificate for `hosts` signed by `ca`, with its PKCS#8 key, for the benches' HTTPS upstreams. */
export async function issueLeaf(ca, hosts) {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const now = Date.now();
  const certPem = await ca.issueServerCertificate({
    hosts,
    publicKey: pair.publicKey,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
  return {
    certPem,
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g).join('\n')}\n-----END PRIVATE KEY-----\n`,
  };
}

/** An HTTPS upstream answering 200 with a small JSON body, with a certificate for `hosts` from its own CA. */
export async function startBenchUpstream(hosts) {
  const { createCertificateAuthority, loadCertificateAuthority } = await load(
    'src/gateway/tls/certificate-authority.js',
  );
  const caPems = await createCertificateAuthority({ commonName: 'Bench upstream CA' });
  const leaf = await issueLeaf(await loadCertificateAuthority(caPems.certPem, caPems.keyPem), hosts);
  const body = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3] }));
  const server = https.createServer(
    { key: leaf.keyPem, cert: leaf.certPem, keepAliveTimeout: 60_000 },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      });
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: server.address().port, caPem: caPems.certPem };
}
