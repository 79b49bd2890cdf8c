// Decision latency of the pure core at 1, 10, 100 and 1,000 policy rules (goal: ≤ 20 µs p50 at 100).
// Every rule is in scope and evaluated (the worst case: scopes that miss would make it cheaper);
// the rules mix the operators real policies use, including regexes and nested groups.
// Run with `npm run bench:decide` (builds first). Prints one table; not a test.
import { decide } from '../../dist/src/decide/decide.js';
import { compilePolicies } from '../../dist/src/decide/evaluate.js';

const RULES_PER_POLICY = 10;

function makeRule(i) {
  const kinds = [
    {
      all: [
        { field: 'action', operator: 'equals', value: 'stripe.refund.create' },
        { field: 'params.amount', operator: 'gt', value: 50_000 + i },
      ],
    },
    { field: 'params.currency', operator: 'in', value: ['btc', 'eth', `x${i}`] },
    { field: 'params.description', operator: 'matches', value: `^(refund|chargeback)-${i}-[0-9]+$` },
    {
      any: [
        { field: 'labels.environment', operator: 'equals', value: `env-${i}` },
        { not: { field: 'params.customer', operator: 'starts_with', value: 'cus_' } },
      ],
    },
    {
      all: [
        { field: 'time.hour', operator: 'lt', value: 6 },
        { field: 'time.weekday', operator: 'in', value: ['sat', 'sun'] },
      ],
    },
    { field: 'params.metadata.ticket', operator: 'exists', value: false },
  ];
  const decisions = ['deny', 'require_approval', 'allow'];
  return {
    name: `r${i}`,
    when: kinds[i % kinds.length],
    decision: decisions[i % 3],
    reason: `rule ${i}`,
    risk_score: i % 101,
  };
}

function makePolicies(n) {
  const policies = [];
  for (let start = 0; start < n; start += RULES_PER_POLICY) {
    const rules = [];
    for (let i = start; i < Math.min(n, start + RULES_PER_POLICY); i++) rules.push(makeRule(i));
    policies.push({
      name: `policy-${start}`,
      priority: start % 7,
      scope: { connectors: ['stripe'], actions: ['stripe.*'], labels: { environment: 'production' } },
      rules,
    });
  }
  return policies;
}

const permissions = [];
for (let a = 0; a < 50; a++)
  permissions.push({
    id: `p${a}`,
    agent: `agent-${a}`,
    connector: 'stripe',
    action: 'stripe.*',
    decision: 'allow',
  });
permissions.push({
  id: 'pay',
  agent: 'pay-bot',
  connector: 'stripe',
  action: 'stripe.refund.*',
  decision: 'allow',
});

const requests = Array.from({ length: 16 }, (_, i) => ({
  agent: { name: 'pay-bot', mode: 'enforce', labels: { environment: 'production', team: 'payments' } },
  connector: { name: 'stripe', type: 'stripe' },
  action: 'stripe.refund.create',
  params: {
    amount: String(100 + i * 37),
    currency: 'usd',
    customer: `cus_${i}`,
    description: `refund-${i}-12345`,
    metadata: { ticket: `T-${i}` },
  },
  risk: 'high',
  method: 'POST',
  host: 'api.stripe.com',
  path: '/v1/refunds',
  now: new Date(Date.UTC(2025, 0, 6 + (i % 7), 10 + (i % 12))),
}));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function bench(n) {
  const docs = makePolicies(n);
  const t0 = process.hrtime.bigint();
  const policies = compilePolicies(docs);
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (policies.invalid.length > 0) throw new Error(JSON.stringify(policies.invalid[0]));
  const state = { permissions, policies, killSwitch: [] };
  const samples = n >= 1000 ? 20_000 : 100_000;
  for (let i = 0; i < 20_000; i++) decide(state, requests[i % requests.length]);
  const times = new Float64Array(samples);
  let sink = 0;
  for (let i = 0; i < samples; i++) {
    const req = requests[i % requests.length];
    const start = process.hrtime.bigint();
    const d = decide(state, req);
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
    sink += d.matchedRules.length;
  }
  times.sort();
  return { n, compileMs, p50: percentile(times, 50), p99: percentile(times, 99), matched: sink / samples };
}

// Timer overhead, so the numbers can be read net of it.
const overhead = (() => {
  const t = new Float64Array(100_000);
  for (let i = 0; i < t.length; i++) {
    const s = process.hrtime.bigint();
    t[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  t.sort();
  return percentile(t, 50);
})();

console.log(
  `decide() latency, Node ${process.version}, every rule in scope (timer overhead ≈ ${overhead.toFixed(2)} µs, included)`,
);
console.log('rules   | p50 µs  | p99 µs  | matched/req | compile ms');
const rows = [1, 10, 100, 1000].map(bench);
for (const r of rows) {
  console.log(
    `${String(r.n).padEnd(7)} | ${r.p50.toFixed(2).padStart(7)} | ${r.p99.toFixed(2).padStart(7)} | ${r.matched.toFixed(1).padStart(11)} | ${r.compileMs.toFixed(1).padStart(10)}`,
  );
}
const at100 = rows.find((r) => r.n === 100);
console.log(
  `goal ≤ 20 µs p50 at 100 rules: ${at100.p50 <= 20 ? 'met' : 'MISSED'} (${at100.p50.toFixed(2)} µs)`,
);
