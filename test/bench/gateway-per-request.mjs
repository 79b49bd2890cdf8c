#!/usr/bin/env node
// Paired per-request cost of the gateway (`serve --role=gateway`, batched durability): CPU µs per
// request (all threads of the proxy's process, and its main thread alone) and bytes allocated on the
// V8 heap per request (from v8.GCProfiler: what each GC found in use minus what the last one left,
// plus the growth since), for one or more BUILT trees, in alternating rounds over the same upstream
// and the same load generator. Meant for before/after comparisons on a noisy shared machine: build
// the "before" into a copy of the repository (its dist/, test/bench/, migrations/, package.json and a
// node_modules link) and run
//   PERF_ROOTS=/tmp/before,. node test/bench/gateway-per-request.mjs
// Each root runs in its own child process, loading that root's dist/. PERF_ROUNDS (default 5),
// PERF_REQUESTS per round (default 8,000), PERF_TARGET=gateway|baseline|all (default gateway).
// Prints every round and the median and range per root; never fails on the numbers.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { GCProfiler } from 'node:v8';
import { startBaseline, startBenchUpstream, startProduct } from './bench-proxies.mjs';

const ROUNDS = Number(process.env.PERF_ROUNDS ?? 5);
const REQUESTS = Number(process.env.PERF_REQUESTS ?? 8_000);
const CONCURRENCY = Number(process.env.PERF_CONCURRENCY ?? 32);
const TARGET = process.env.PERF_TARGET ?? 'gateway';
const HOST = 'bench.test';

if (process.argv[2] === '--child') await child();
else await main();

async function main() {
  const roots = (process.env.PERF_ROOTS ?? '.').split(',').map((r) => resolve(r));
  const { createCertificateAuthority } = await import(
    new URL('../../dist/src/gateway/tls/certificate-authority.js', import.meta.url).href
  );
  const { ProxyAgent, request } = await import('undici');
  const { server: upstream, port: upstreamPort, caPem: upstreamCaPem } = await startBenchUpstream([HOST]);
  const interceptCa = await createCertificateAuthority({ commonName: 'Bench interception CA' });
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  const children = [];
  for (const root of roots) {
    const script = `${root}/test/bench/gateway-per-request.mjs`;
    const proc = fork(script, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ask = async (msg) => {
      proc.send(msg);
      return (await once(proc, 'message'))[0];
    };
    proc.send({ target: TARGET, upstreamPort, upstreamCaPem, interceptCa });
    const [ready] = await once(proc, 'message');
    const dispatcher = new ProxyAgent({
      uri: `http://${ready.user}:${ready.key}@127.0.0.1:${ready.port}`,
      requestTls: { ca: ready.caPem },
      connections: CONCURRENCY,
    });
    children.push({ root, proc, ask, dispatcher, rounds: [] });
  }
  const url = `https://${HOST}/v1/items`;
  for (const c of children) await run(c.dispatcher, url, request, 2_000); // warm-up (JIT, pools)
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order too, so neither root always runs right after the other.
    const order = round % 2 === 0 ? children : [...children].reverse();
    for (const c of order) {
      await c.ask({ start: true });
      const { ok, errors } = await run(c.dispatcher, url, request, REQUESTS);
      const m = await c.ask({ stop: true });
      const n = ok + errors;
      const r = {
        cpu: m.cpuUs / n,
        main: m.mainUs / n,
        kb: m.allocated / n / 1024,
        gc: m.gcUs / n,
        majors: m.majors,
        errors,
      };
      c.rounds.push(r);
      console.log(
        `round ${round + 1} ${c.root}: ${r.cpu.toFixed(1)} µs all threads, ${r.main.toFixed(1)} µs main, ${r.kb.toFixed(2)} KB allocated, ${r.gc.toFixed(1)} µs in GC per request (${r.majors} GCs other than scavenges)${errors ? `, ${errors} errors` : ''}`,
      );
    }
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const c of children) {
    const f = (k, d) => {
      const v = c.rounds.map((r) => r[k]).sort((a, b) => a - b);
      return `${v[Math.floor(v.length / 2)].toFixed(d)} (${v[0].toFixed(d)}-${v[v.length - 1].toFixed(d)})`;
    };
    console.log(
      `${c.root}: median (range) per request: all threads ${f('cpu', 1)} µs, main ${f('main', 1)} µs, allocated ${f('kb', 2)} KB, GC ${f('gc', 1)} µs`,
    );
    await c.dispatcher.close();
    c.proc.send({ quit: true });
    await once(c.proc, 'exit');
  }
  upstream.closeAllConnections();
  upstream.close();
}

/** A closed loop of `count` requests over CONCURRENCY connections. */
async function run(dispatcher, url, request, count) {
  let left = count;
  let ok = 0;
  let errors = 0;
  const worker = async () => {
    while (left-- > 0) {
      try {
        const r = await request(url, { dispatcher });
        await r.body.arrayBuffer();
        if (r.statusCode === 200) ok++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ok, errors };
}

async function child() {
  process.on('disconnect', () => process.exit(0));
  const [config] = await once(process, 'message');
  const connectTo = [{ host: HOST, port: 443, targetHost: '127.0.0.1', targetPort: config.upstreamPort }];
  const spec = { ...config, role: config.target === 'all' ? 'all' : 'gateway', durability: 'batched' };
  const proxy =
    config.target === 'baseline' ? await startBaseline(spec, connectTo) : await startProduct(spec, connectTo);
  process.send(proxy.ready);
  let profiler;
  let cpu0;
  let main0;
  let used0;
  let heap;
  for (;;) {
    const [msg] = await once(process, 'message');
    if (msg.start) {
      if (process.env.PERF_HEAP_PROFILE) heap = await startHeapSampling();
      profiler = new GCProfiler();
      used0 = process.memoryUsage().heapUsed;
      profiler.start();
      cpu0 = process.cpuUsage();
      main0 = mainThreadCpuUs();
      process.send({ started: true });
    } else if (msg.stop) {
      const cpu = process.cpuUsage(cpu0);
      const mainUs = mainThreadCpuUs() - main0;
      const endUsed = process.memoryUsage().heapUsed;
      const { statistics } = profiler.stop();
      if (heap) {
        writeFileSync(process.env.PERF_HEAP_PROFILE, JSON.stringify(await heap.stop()));
        heap = undefined;
      }
      // The collectors' own time (µs, as V8 reports it), and how many were not scavenges.
      const gcUs = statistics.reduce((sum, g) => sum + g.cost, 0);
      const majors = statistics.filter((g) => g.gcType !== 'Scavenge').length;
      process.send({
        cpuUs: cpu.user + cpu.system,
        mainUs,
        allocated: allocatedBytes(statistics, used0, endUsed),
        gcUs,
        majors,
      });
    } else break;
  }
  await proxy.close();
  process.disconnect();
}

// Allocation between two points = the heap in use at each GC minus what the previous GC left (the
// first: minus what was in use at the start), plus the growth after the last one.
function allocatedBytes(statistics, startUsed, endUsed) {
  let total = 0;
  let left = startUsed;
  for (const s of statistics) {
    total += s.beforeGC.heapStatistics.usedHeapSize - left;
    left = s.afterGC.heapStatistics.usedHeapSize;
  }
  return total + endUsed - left;
}

// PERF_HEAP_PROFILE=FILE: a sampling heap profile of every allocation in a round (the collected ones
// included), for Chrome DevTools or a summary by function; it slows the round, so its CPU is not comparable.
async function startHeapSampling() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((ok, fail) => session.post(method, params, (err, res) => (err ? fail(err) : ok(res))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = await post('HeapProfiler.stopSampling');
      session.disconnect();
      return profile;
    },
  };
}

function mainThreadCpuUs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
