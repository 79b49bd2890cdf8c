#!/usr/bin/env node
// The first request to a host the gateway has not seen, against a second request to the same host,
// each over a fresh CONNECT tunnel: what being new costs (a leaf certificate minted, an upstream TLS
// connection opened). Unlike the new-host phase of bench:gateway, which runs first in a cold process,
// this one warms each gateway up with 200 requests, then alternates between the BUILT trees given in
// PERF_ROOTS (default: this one) host by host, so two builds can be compared on a noisy machine:
//   PERF_ROOTS=/tmp/before,. node test/bench/new-host.mjs
// Each root runs `serve --role=gateway` as bench:gateway's child (its test/bench/gateway.mjs).
// NEW_HOSTS (default 30, at most 35). Prints medians; never fails on the numbers.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { ProxyAgent, request } from 'undici';
import { startBenchUpstream } from './bench-proxies.mjs';

const N = Math.min(35, Number(process.env.NEW_HOSTS ?? 30));
const WARMUP = 200;
const HOSTS = ['bench.test', ...Array.from({ length: 35 }, (_, i) => `new${i}.bench.test`)];

const { createCertificateAuthority } = await import(
  new URL('../../dist/src/gateway/tls/certificate-authority.js', import.meta.url).href
);
const roots = (process.env.PERF_ROOTS ?? '.').split(',').map((r) => resolve(r));
const {
  server: upstream,
  port: upstreamPort,
  caPem: upstreamCaPem,
} = await startBenchUpstream([...HOSTS, '127.0.0.1']);
const interceptCa = await createCertificateAuthority({ commonName: 'Bench interception CA' });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`load average at start: ${load()}`);

const kids = [];
for (const root of roots) {
  const proc = fork(`${root}/test/bench/gateway.mjs`, ['--child'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  proc.send({
    kind: 'product',
    role: 'gateway',
    durability: 'batched',
    upstreamPort,
    upstreamCaPem,
    interceptCa,
  });
  const [ready] = await once(proc, 'message');
  const proxy = `http://${ready.user}:${ready.key}@127.0.0.1:${ready.port}`;
  kids.push({ root, proc, proxy, ca: ready.caPem, firsts: [], again: [] });
}

async function fresh(kid, url) {
  const dispatcher = new ProxyAgent({ uri: kid.proxy, requestTls: { ca: kid.ca } });
  const t0 = performance.now();
  const r = await request(url, { dispatcher });
  await r.body.arrayBuffer();
  const ms = performance.now() - t0;
  await dispatcher.close();
  return ms;
}

for (const kid of kids) for (let i = 0; i < WARMUP; i++) await fresh(kid, 'https://bench.test/v1/items');
for (let i = 0; i < N; i++) {
  for (const kid of kids) {
    const url = `https://new${i}.bench.test/v1/items`;
    kid.firsts.push(await fresh(kid, url));
    kid.again.push(await fresh(kid, url));
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const kid of kids) {
  const diff = median(kid.firsts.map((f, i) => f - kid.again[i]));
  console.log(
    `${kid.root}: first request to a new host ${median(kid.firsts).toFixed(2)} ms, again ${median(kid.again).toFixed(2)} ms, difference ${diff.toFixed(2)} ms (medians of ${N})`,
  );
  kid.proc.kill();
}
console.log(`load average at end: ${load()}`);
upstream.close();
process.exit(0);
