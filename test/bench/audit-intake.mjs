#!/usr/bin/env node
// Audit intake bench (issue 15 item 2): CPU per gateway event recorded by the control plane's
// prepared SQLite intake (src/control/gateways/gateway-event-store.ts), for compact action events
// (what gateways ship now: the ledger's fields and the traffic row's id) and for full ones (the whole
// traffic row copied, as gateways shipped before). Runs over the BUILT files in dist/ (npm run
// bench:intake builds first), in batches of 50 events as a busy gateway ships them; prints µs of CPU
// per event (user + system of this process), best of 3 rounds of 5,000 events each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIST = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, DIST).href);
const { openControlDatabase } = await load('src/storage/control-database.js');
const { createGatewayEventIntake } = await load('src/control/gateways/gateway-event-store.js');
const { ensureGateway } = await load('src/control/gateways/gateway-store.js');

const BATCH = 50;
const BATCHES = 100;

async function measure(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-intake-'));
  const db = await openControlDatabase({ localDbPath: join(dir, 'local.db') });
  const gateway = await ensureGateway(db.db, 'default');
  const intake = createGatewayEventIntake(db);
  let id = 0;
  const batch = () =>
    Array.from({ length: BATCH }, () => {
      id++;
      const at = new Date().toISOString();
      const compact = {
        agent: 'bench',
        action: 'http.get',
        decision: 'allow',
        code: 'allowed',
        traffic_id: id,
      };
      const full = {
        request_id: `0192f0e0-aaaa-7bbb-8ccc-${String(id).padStart(12, '0')}`,
        agent: 'bench',
        connector: 'bench',
        action: 'http.get',
        decision: 'allow',
        mode: 'enforce',
        code: 'allowed',
        reasons: ['allowed by permission bench http.get'],
        method: 'GET',
        host: 'bench.test',
        path: '/x',
        status: 200,
        error: null,
        latency_ms: 1.23,
        bytes_in: 0,
        bytes_out: 17,
        created_at: at,
        completed_at: at,
        params: {},
      };
      return {
        id,
        event_type: 'action.allowed',
        created_at: at,
        payload: JSON.stringify(kind === 'compact' ? compact : full),
      };
    });
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const batches = Array.from({ length: BATCHES }, batch);
    const before = process.cpuUsage();
    for (const b of batches) await intake.accept(gateway, b, new Date());
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / (BATCH * BATCHES));
  }
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return best;
}

const compact = await measure('compact');
const full = await measure('full');
console.log(`audit intake, CPU per event (best of 3 x ${BATCH * BATCHES}, batches of ${BATCH}):`);
console.log(`  compact action events  ${compact.toFixed(1)} µs`);
console.log(`  full action events     ${full.toFixed(1)} µs (as gateways shipped them before)`);
