// `npm run bench`: every benchmark, one after the other, each in its own process so one's warm-up or
// leftovers cannot colour the next. Benchmarks print ratios from one run; they never fail a build.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = [
  'connectors.mjs',
  'decide.mjs',
  'gateway.mjs',
  'preload-start.mjs',
  'approvals.mjs',
  'storage.mjs',
  'audit-intake.mjs',
];
let failed = 0;
for (const file of benches) {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, [path], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed ? 1 : 0;
