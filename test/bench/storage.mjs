#!/usr/bin/env node
// Storage bench (issue 17): how many bytes one proxied request costs on disk. Runs over the BUILT
// files in dist/ (npm run bench:storage builds first). It starts the product as `serve --role=all`
// (gateway + control plane in one process, batched traffic log), drives N requests (BENCH_REQUESTS,
// default 5,000) through it to a local HTTPS upstream, waits until every request's action event is
// in the audit log, closes the daemon (which checkpoints the WAL into the files) and reads the page
// counts of each table and its indexes (dbstat): bytes per traffic_log row (gateway.db) and per
// audit event (local.db), and what that makes per day at 500 req/s. It prints the numbers and
// PASS/MISS against the target (<= 300 B per action event) and never fails on a miss.
import { startBenchUpstream, startProduct } from './bench-proxies.mjs';

const N = Number(process.env.BENCH_REQUESTS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TARGET_EVENT_BYTES = 300;

const deadline = setTimeout(() => {
  console.error('bench: gave up after 300 s');
  process.exit(1);
}, 300_000);
deadline.unref();

const { ProxyAgent, request } = await import('undici');
const { default: Database } = await import('better-sqlite3');

const {
  server: upstream,
  port: upstreamPort,
  caPem: upstreamCaPem,
} = await startBenchUpstream(['bench.test']);

let measured;
const product = await startProduct(
  {
    role: 'all',
    durability: 'batched',
    upstreamCaPem,
    beforeRemove: (paths) => {
      measured = {
        gateway: measure(paths.gatewayDb, 'traffic_log'),
        local: measure(paths.localDb, 'audit_events'),
      };
    },
  },
  [{ host: 'bench.test', port: 443, targetHost: '127.0.0.1', targetPort: upstreamPort }],
);
const { ready } = product;
const dispatcher = new ProxyAgent({
  uri: `http://${ready.user}:${ready.key}@127.0.0.1:${ready.port}`,
  requestTls: { ca: ready.caPem },
  connections: CONCURRENCY,
});
// The product follows its configuration asynchronously (through its control plane).
for (let i = 0; ; i++) {
  const r = await request('https://bench.test/v1/items', { dispatcher }).catch(() => undefined);
  await r?.body.text();
  if (r?.statusCode === 200) break;
  if (i > 200) throw new Error('the product never allowed the bench request');
  await new Promise((resolve) => setTimeout(resolve, 50));
}

console.log(`storage bench: ${N} requests through serve --role=all (batched), ${CONCURRENCY} at a time`);
const started = performance.now();
let next = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      const i = next++;
      const r = await request(`https://bench.test/v1/items?page=${i % 50}&per_page=20`, { dispatcher });
      await r.body.text();
      if (r.statusCode !== 200) failed++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
console.log(
  `  ${N} requests in ${seconds.toFixed(1)} s (${(N / seconds).toFixed(0)} req/s), ${failed} not 200`,
);
await dispatcher.close();
// Every request's action event must have reached the audit log before the files are measured.
const local = new Database(product.paths.localDb, { readonly: true });
const actions = local.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE event_type LIKE 'action.%'");
for (let i = 0; i < 600 && actions.get().n < N + 1; i++)
  await new Promise((resolve) => setTimeout(resolve, 100));
local.close();
await product.close();
upstream.close();

const traffic = measured.gateway;
const audit = measured.local;
const line = (label, m, unit) =>
  `  ${label.padEnd(26)} ${String(m.rows).padStart(7)} ${unit}  ${(m.bytes / m.rows).toFixed(0).padStart(5)} B each ` +
  `(table ${(m.tableBytes / m.rows).toFixed(0)} B + indexes ${(m.indexBytes / m.rows).toFixed(0)} B; file ${(m.fileBytes / 1024 / 1024).toFixed(1)} MB)`;
console.log(line('gateway.db traffic_log', traffic, 'rows  '));
console.log(line('local.db audit_events', audit, 'events'));
console.log(
  `  of which action.* events: ${audit.actionRows}; average details ${audit.avgDetails.toFixed(0)} B of text`,
);
const perDay = (bytes) => ((bytes * 500 * 86_400) / 1024 ** 3).toFixed(1);
console.log(
  `  at 500 req/s: gateway.db +${perDay(traffic.bytes / traffic.rows)} GB/day, local.db +${perDay(audit.bytes / audit.rows)} GB/day`,
);
const perEvent = audit.bytes / audit.rows;
console.log(
  `  action event ${perEvent.toFixed(0)} B vs target <= ${TARGET_EVENT_BYTES} B: ${perEvent <= TARGET_EVENT_BYTES ? 'PASS' : 'MISS'}`,
);
if (audit.actionRows < N)
  console.log(`  NOTE: only ${audit.actionRows} of ${N} action events were ingested before close`);

/** Bytes of a table and of its indexes from the pages they occupy (dbstat), in a closed, checkpointed file. */
function measure(path, table) {
  const db = new Database(path, { readonly: true });
  try {
    const btrees = db
      .prepare("SELECT name, type FROM sqlite_schema WHERE tbl_name = ? AND type IN ('table', 'index')")
      .all(table);
    let tableBytes = 0;
    let indexBytes = 0;
    for (const b of btrees) {
      const { bytes } = db
        .prepare('SELECT COALESCE(SUM(pgsize), 0) AS bytes FROM dbstat WHERE name = ?')
        .get(b.name);
      if (b.type === 'table') tableBytes += bytes;
      else indexBytes += bytes;
    }
    const rows = db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
    const fileBytes = db.pragma('page_count', { simple: true }) * db.pragma('page_size', { simple: true });
    const extra =
      table === 'audit_events'
        ? db
            .prepare(
              "SELECT SUM(event_type LIKE 'action.%') AS actionRows, AVG(LENGTH(details)) AS avgDetails FROM audit_events",
            )
            .get()
        : {};
    return { rows, tableBytes, indexBytes, bytes: tableBytes + indexBytes, fileBytes, ...extra };
  } finally {
    db.close();
  }
}
