#!/usr/bin/env node
// What `run --isolate` costs, measured on the BUILT files against a spawned daemon (npm run build
// first): (a) start-up, `run -- true` against `run --isolate -- true`, interleaved, median of each;
// (b) per connection, a Node child making 100 sequential new connections (one plain-HTTP request
// each) to a local upstream behind a generic connector: through the proxy variables under a plain
// `run`, and straight to port 80 inside the namespace under `run --isolate`. Prints numbers and
// ratios; never fails on them. Linux with unprivileged namespaces only (it says so otherwise).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tameflare', import.meta.url));
const DIST = new URL('../../dist/', import.meta.url);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CONNECTIONS = 100;

const { checkIsolation } = await import(new URL('src/agent-env/isolate/isolation-support.js', DIST).href);
const support = await checkIsolation(process.env);
if (!support.available) {
  console.log(`isolate bench: skipped (${support.reason}; ${support.fix})`);
  process.exit(0);
}

const upstream = createServer((_req, res) => res.end('ok\n'));
upstream.listen(0, '127.0.0.1');
await once(upstream, 'listening');

const dataDir = mkdtempSync(join(tmpdir(), 'tf-isolate-bench-'));
const logFile = join(dataDir, 'daemon.log');
const daemon = spawn(
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
    '33000',
    '--connect-to',
    `bench.test:80:127.0.0.1:${upstream.address().port}`,
    '--unsafe-allow-private-egress',
    '127.0.0.0/8',
  ],
  {
    stdio: ['ignore', openSync(logFile, 'w'), 'inherit'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  },
);
let controlUrl;
for (let i = 0; i < 200 && !controlUrl; i++) {
  await new Promise((r) => setTimeout(r, 100));
  const line = readFileSync(logFile, 'utf8')
    .split('\n')
    .find((l) => l.includes('"msg":"ready"'));
  controlUrl = line && JSON.parse(line).control;
}
if (!controlUrl) throw new Error(`daemon not ready: ${readFileSync(logFile, 'utf8')}`);
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TAMEFLARE_URL: controlUrl,
  TAMEFLARE_DATA_DIR: dataDir,
};
const cli = (args, input) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

try {
  const key = JSON.parse(cli(['agent', 'add', 'bench', '--json'])).key;
  cli(['connector', 'add', 'generic', '--name', 'bench', '--domains', 'bench.test', '--token-stdin'], 'x\n');
  cli(['permissions', 'preset', '--agent', 'bench', '--connector', 'bench', 'allow-all']);
  // Asynchronous: the upstream lives in this process and must keep answering meanwhile.
  const run = async (isolate, command) => {
    const args = [
      'run',
      ...(isolate ? ['--isolate'] : []),
      '--agent',
      'bench',
      '--key',
      key,
      '--',
      ...command,
    ];
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const [code] = await once(child, 'close');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (code !== 0) throw new Error(`${args.join(' ')}: ${stderr}`);
    return { ms, stdout };
  };

  // (a) start-up, interleaved so that a busy moment on the shared machine hits both alike.
  const plain = [];
  const isolated = [];
  for (let i = 0; i < ROUNDS; i++) {
    plain.push((await run(false, ['true'])).ms);
    isolated.push((await run(true, ['true'])).ms);
  }
  const a = median(plain);
  const b = median(isolated);
  console.log(`start-up, median of ${ROUNDS}: run ${a.toFixed(0)} ms, run --isolate ${b.toFixed(0)} ms`);
  console.log(`  --isolate adds ${(b - a).toFixed(0)} ms (x${(b / a).toFixed(2)})`);

  // (b) per new connection: the child times its own loop, so start-up is left out.
  const loop = `const http = require('node:http');
const t = process.hrtime.bigint();
(async () => { for (let i = 0; i < ${CONNECTIONS}; i++) await new Promise((ok, fail) =>
  http.get({ host: 'bench.test', path: '/', agent: false }, (r) => { r.resume(); r.on('end', ok); }).on('error', fail));
  console.log(Number(process.hrtime.bigint() - t) / 1e6 / ${CONNECTIONS}); })();`;
  const perPlain = [];
  const perIsolated = [];
  for (let i = 0; i < 3; i++) {
    perPlain.push(Number((await run(false, ['node', '-e', loop])).stdout));
    perIsolated.push(Number((await run(true, ['node', '-e', loop])).stdout));
  }
  const c = median(perPlain);
  const d = median(perIsolated);
  console.log(
    `per new connection (plain HTTP, ${CONNECTIONS} sequential, median of 3): ` +
      `run via proxy ${c.toFixed(2)} ms, run --isolate via port 80 ${d.toFixed(2)} ms (x${(d / c).toFixed(2)})`,
  );
} finally {
  daemon.kill('SIGTERM');
  await once(daemon, 'exit');
  upstream.close();
  rmSync(dataDir, { recursive: true, force: true });
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}
