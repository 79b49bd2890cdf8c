#!/usr/bin/env node
// Approvals benchmark (issue 12). Runs the BUILT daemon (`npm run bench:approvals` builds first) with
// both roles in one process, on 127.0.0.1 only, against a local HTTPS upstream. It holds 1,000
// intercepted HTTPS requests at once (1,000 client connections, 1,000 pending approvals) and prints:
//   - memory per held request: the daemon's resident set and V8 heap, before and while holding,
//     divided by the number held (goal: <= 64 KiB each);
//   - approve-to-forward latency: from sending POST /v1/approvals/:id/approve until the held client
//     has its upstream answer, one at a time (p50, p99), then the time to release the rest at once.
// It never fails on a miss; it is bounded in time (about two minutes), and never leaves the daemon running.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueLeaf } from './bench-proxies.mjs';

const HELD = Number(process.env.BENCH_HELD ?? 1000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const GOAL_KIB = 64;
const BIN = fileURLToPath(new URL('../../bin/tameflare', import.meta.url));
const DIST = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, DIST).href);

const deadline = setTimeout(() => {
  console.error('bench: gave up after 240 s');
  cleanup();
  process.exit(1);
}, 240_000);
deadline.unref();

const dir = mkdtempSync(join(tmpdir(), 'tf-bench-approvals-'));
let daemon;
function cleanup() {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);

const { createCertificateAuthority, loadCertificateAuthority } = await load(
  'src/gateway/tls/certificate-authority.js',
);
const { Agent, ProxyAgent, request } = await import('undici');

// Upstream: HTTPS for api.bench.test, signed by its own CA.
const upstreamCaPems = await createCertificateAuthority({ commonName: 'Bench upstream CA' });
const upstreamCa = await loadCertificateAuthority(upstreamCaPems.certPem, upstreamCaPems.keyPem);
const leaf = await issueLeaf(upstreamCa, ['api.bench.test']);
const upstream = https.createServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
  req.resume();
  req.on('end', () => res.end(`ok ${req.url}`));
});
upstream.listen(0, '127.0.0.1');
await once(upstream, 'listening');
const upstreamCaFile = join(dir, 'upstream-ca.pem');
writeFileSync(upstreamCaFile, upstreamCaPems.certPem);

// The daemon, as an operator runs it.
const dataDir = join(dir, 'data');
daemon = spawn(
  process.execPath,
  [
    BIN,
    'serve',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--gateway-port',
    '0',
    '--agent-port-start',
    String(40_000 + Math.floor(Math.random() * 1000) * 10),
    '--upstream-ca',
    upstreamCaFile,
    '--connect-to',
    `api.bench.test:443:127.0.0.1:${upstream.address().port}`,
    '--unsafe-allow-private-egress',
    '127.0.0.0/8',
  ],
  {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TAMEFLARE_LOG_LEVEL: 'info',
      TAMEFLARE_MAX_HOLDS_PER_AGENT: String(HELD + 100),
      TAMEFLARE_APPROVAL_TIMEOUT: '299',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
const urls = await new Promise((resolve, reject) => {
  let buf = '';
  daemon.stderr.on('data', (c) => {
    if (process.env.BENCH_DEBUG) process.stderr.write(c);
  });
  daemon.stdout.on('data', (c) => {
    buf += c.toString();
    for (const line of buf.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const rec = JSON.parse(line);
        if (rec.msg === 'ready') resolve({ control: rec.control, gateway: rec.gateway });
      } catch {}
    }
  });
  daemon.once('exit', (code) => reject(new Error(`daemon exited with ${code}`)));
});
daemon.stderr.on('data', (c) => {
  if (process.env.BENCH_DEBUG) process.stderr.write(c);
});
daemon.stdout.on('data', (c) => {
  if (!process.env.BENCH_DEBUG) return;
  for (const line of c.toString().split('\n'))
    if (/"level":[456]0/.test(line)) console.error(line.slice(0, 400));
});
console.log(`daemon ready: control ${urls.control}, gateway ${urls.gateway} (pid ${daemon.pid})`);

const cli = (...args) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, TAMEFLARE_URL: urls.control, TAMEFLARE_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`tameflare ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const key = JSON.parse(cli('agent', 'add', 'bench', '--json')).key;
cli('connector', 'add', 'generic', '--name', 'bench', '--domains', 'api.bench.test');
cli(
  'permissions',
  'set',
  '--agent',
  'bench',
  '--connector',
  'bench',
  '--action',
  '*',
  '--decision',
  'require_approval',
);
const token = readFileSync(join(dataDir, 'cli.token'), 'utf8').trim();
const api = new Agent({ connections: 8 });
async function call(method, path, body) {
  const res = await request(`${urls.control}${path}`, {
    method,
    dispatcher: api,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text);
}
async function metric(name) {
  const res = await request(`${urls.gateway}/metrics`, { dispatcher: api });
  const text = await res.body.text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}
async function pendingApprovals() {
  const all = [];
  let before;
  for (;;) {
    const q = `status=pending&limit=500${before ? `&before=${before}` : ''}`;
    const page = (await call('GET', `/v1/approvals?${q}`)).approvals;
    all.push(...page);
    if (page.length < 500) return all;
    before = page.at(-1).id;
  }
}
async function waiting() {
  const h = await (await request(`${urls.gateway}/health`, { dispatcher: api })).body.json();
  return h.approval_holds;
}
async function until(probe, what, ms = 90_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    if (process.env.BENCH_DEBUG) {
      const h = await (await request(`${urls.gateway}/health`, { dispatcher: api })).body.json();
      console.error(
        what,
        await metric('tameflare_gateway_approval_holds'),
        'active',
        h.active_connections,
        'holds',
        h.approval_holds,
        'pending',
        await metric('tameflare_approvals_pending'),
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Clients: one connection per held request, through the gateway's TLS interception.
const gatewayCa = readFileSync(join(dataDir, 'ca.crt'), 'utf8');
const proxy = new ProxyAgent({
  uri: `http://bench:${key}@${new URL(urls.gateway).host}`,
  requestTls: { ca: gatewayCa },
  headersTimeout: 300_000,
  bodyTimeout: 300_000,
});
const held = new Map();
function hold(path) {
  const p = request(`https://api.bench.test${path}`, { dispatcher: proxy }).then(async (res) => {
    const text = await res.body.text();
    return { status: res.statusCode, text, at: performance.now() };
  });
  held.set(path, p);
}

// Warm-up: a fifth of the run, held and released, so that pools, caches and the heap have
// grown to their working size before the baseline is read.
const WARM = Math.max(20, Math.floor(HELD / 5));
for (let i = 0; i < WARM; i++) hold(`/warm/${i}`);
await until(async () => (await waiting()) === WARM, 'the warm-up holds');
for (const a of await pendingApprovals()) await call('POST', `/v1/approvals/${a.id}/approve`, {});
await Promise.all([...held.values()]);
held.clear();

const rss = () => metric('tameflare_process_process_resident_memory_bytes');
const heap = () => metric('tameflare_process_nodejs_heap_size_used_bytes');
/** The lowest of a few readings a second apart: garbage not yet collected is not a held request's. */
async function settled() {
  const out = { rss: Number.POSITIVE_INFINITY, heap: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    out.rss = Math.min(out.rss, await rss());
    out.heap = Math.min(out.heap, await heap());
  }
  return out;
}
const base = await settled();

const t0 = performance.now();
for (let i = 0; i < HELD; i++) hold(`/hold/${i}`);
await until(async () => (await waiting()) === HELD, `${HELD} holds`);
const holdAll = performance.now() - t0;
const during = await settled();
const perRss = (during.rss - base.rss) / HELD / 1024;
const perHeap = (during.heap - base.heap) / HELD / 1024;

// Approve-to-forward, one at a time.
const approvals = await pendingApprovals();
const byPath = new Map(approvals.map((a) => [a.path, a]));
const latencies = [];
for (let i = 0; i < SAMPLES; i++) {
  const path = `/hold/${i}`;
  const a = byPath.get(path);
  const start = performance.now();
  await call('POST', `/v1/approvals/${a.id}/approve`, {});
  const r = await held.get(path);
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
  latencies.push(r.at - start);
}
// The rest at once.
const restStart = performance.now();
const rest = [];
for (let i = SAMPLES; i < HELD; i++)
  rest.push(call('POST', `/v1/approvals/${byPath.get(`/hold/${i}`).id}/approve`, {}));
await Promise.all(rest);
const answers = await Promise.all([...held.values()]);
const restMs = performance.now() - restStart;
const ok = answers.filter((a) => a.status === 200).length;

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
console.log('');
console.log(
  `held at once:                 ${HELD} intercepted HTTPS requests (${(holdAll / 1000).toFixed(1)} s until all ${HELD} approvals were open: ${(HELD / (holdAll / 1000)).toFixed(0)}/s)`,
);
console.log(
  `daemon memory before/held:    RSS ${(base.rss / 2 ** 20).toFixed(1)} → ${(during.rss / 2 ** 20).toFixed(1)} MiB, heap ${(base.heap / 2 ** 20).toFixed(1)} → ${(during.heap / 2 ** 20).toFixed(1)} MiB`,
);
console.log(
  `memory per held request:      ${perRss.toFixed(1)} KiB resident (${perHeap.toFixed(1)} KiB of it V8 heap); goal <= ${GOAL_KIB} KiB: ${perRss <= GOAL_KIB ? 'PASS' : 'MISS'}`,
);
console.log(
  `approve-to-forward, one by one (${SAMPLES}): p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
);
console.log(
  `approve the other ${HELD - SAMPLES} at once:   all answered in ${(restMs / 1000).toFixed(2)} s (${((HELD - SAMPLES) / (restMs / 1000)).toFixed(0)} releases/s); ${ok}/${HELD} got 200`,
);

await proxy.close();
await api.close();
upstream.close();
daemon.kill('SIGTERM');
await once(daemon, 'exit');
