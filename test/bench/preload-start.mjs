// Start cost of the `tameflare run` preload: `node -e 0` with and without it (same proxy variables),
// interleaved so load on the shared machine hits both alike. Prints medians and the difference.
// Run with `npm run bench:preload` (builds first). Not a test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('../../dist/src/agent-env/preload.cjs', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 40);
const proxy = 'http://bench:key@127.0.0.1:9';
const base = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  HTTP_PROXY: proxy,
  HTTPS_PROXY: proxy,
  NO_PROXY: 'localhost,127.0.0.1',
};

function once(env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  if (r.stderr.length > 0) throw new Error(`preload printed: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const withPreload = { ...base, NODE_OPTIONS: `--require ${PRELOAD}` };
const bare = [];
const loaded = [];
once(base);
once(withPreload);
for (let i = 0; i < RUNS; i++) {
  bare.push(once(base));
  loaded.push(once(withPreload));
}
const a = median(bare);
const b = median(loaded);
console.log(`node -e 0, median of ${RUNS}: bare ${a.toFixed(1)} ms, with preload ${b.toFixed(1)} ms`);
console.log(
  `preload start cost: +${(b - a).toFixed(1)} ms per process (${((b / a - 1) * 100).toFixed(0)} %)`,
);
