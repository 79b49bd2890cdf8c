#!/usr/bin/env node
// Mapping cost per request for each connector over a realistic mix of requests: what the gateway
// pays on its hot path (`wantsBody` + `map`, bodies already read). Goal: well under 20 µs per
// request. Run with `npm run bench:connectors` (builds first). Prints ns per request: p50 and p99
// of batch means, and the overall mean.
import { performance } from 'node:perf_hooks';

const { CONNECTOR_TYPES } = await import('../../dist/src/connectors/registry.js').catch((err) => {
  console.error(`cannot load dist/src/connectors (${err.message}); run \`npm run build\` first`);
  process.exit(1);
});

const JSON_CT = { 'content-type': 'application/json' };
const FORM_CT = { 'content-type': 'application/x-www-form-urlencoded' };

function req(method, url, body, headers = {}) {
  const u = new URL(url);
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method,
    host: u.hostname,
    port: 443,
    path: u.pathname,
    query: u.searchParams,
    headers: body !== undefined && typeof body !== 'string' ? { ...JSON_CT, ...headers } : headers,
    body: text === undefined ? undefined : Buffer.from(text),
  };
}

const chatMessages = Array.from({ length: 6 }, (_, i) => ({
  role: i % 2 ? 'assistant' : 'user',
  content: 'x'.repeat(300),
}));
const pkt = (s) => (Buffer.byteLength(s) + 4).toString(16).padStart(4, '0') + s;
const push = `${pkt(`${'a'.repeat(40)} ${'b'.repeat(40)} refs/heads/main\0report-status side-band-64k\n`)}0000PACK`;
const G = 'https://api.github.com/repos/octo-org/hello-world';
const rpc = (method, params, id = 1) => ({ jsonrpc: '2.0', id, method, params });

const MIXES = {
  github: [
    req('GET', G),
    req('GET', `${G}/pulls/42`),
    req('GET', `${G}/contents/src/app/main.ts?ref=dev`),
    req('PUT', `${G}/pulls/42/merge`, { merge_method: 'squash' }),
    req('PATCH', `${G}/pulls/42`, { state: 'closed' }),
    req('POST', `${G}/issues/42/comments`, { body: 'LGTM' }),
    req('DELETE', `${G}/git/refs/heads/feature/login`),
    req('POST', 'https://api.github.com/graphql', {
      query:
        'mutation($input: MergePullRequestInput!) { mergePullRequest(input: $input) { pullRequest { number merged mergedAt } } }',
      variables: { input: { pullRequestId: 'PR_kwDOA', mergeMethod: 'SQUASH' } },
    }),
    req('POST', 'https://api.github.com/graphql', {
      query:
        'query($owner: String!, $repo: String!) { repository(owner: $owner, name: $repo) { pullRequests(first: 20, states: OPEN) { nodes { number title author { login } } } } }',
      variables: { owner: 'octo-org', repo: 'hello-world' },
    }),
    req('GET', 'https://github.com/octo-org/hello-world.git/info/refs?service=git-upload-pack'),
    req('POST', 'https://github.com/octo-org/hello-world.git/git-receive-pack', push),
    req('GET', 'https://api.github.com/unknown/path'),
  ],
  openai: [
    req('POST', 'https://api.openai.com/v1/chat/completions', {
      model: 'gpt-4o-mini',
      messages: chatMessages,
      stream: true,
      max_tokens: 512,
    }),
    req('POST', 'https://api.openai.com/v1/responses', {
      model: 'o4-mini',
      input: 'x'.repeat(1500),
      max_output_tokens: 1024,
    }),
    req('POST', 'https://api.openai.com/v1/embeddings', {
      model: 'text-embedding-3-small',
      input: ['a', 'b', 'c'],
    }),
    req('GET', 'https://api.openai.com/v1/models'),
    req('GET', 'https://api.openai.com/v1/files/file-abc123/content'),
  ],
  anthropic: [
    req('POST', 'https://api.anthropic.com/v1/messages', {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: chatMessages,
      stream: true,
    }),
    req('POST', 'https://api.anthropic.com/v1/messages/count_tokens', {
      model: 'claude-sonnet-4-5',
      messages: chatMessages,
    }),
    req('GET', 'https://api.anthropic.com/v1/models'),
  ],
  stripe: [
    req(
      'POST',
      'https://api.stripe.com/v1/charges',
      'amount=2000&currency=usd&customer=cus_123&source=tok_visa&metadata[order]=42',
      FORM_CT,
    ),
    req('POST', 'https://api.stripe.com/v1/refunds', 'payment_intent=pi_3MtwBw&amount=7500', FORM_CT),
    req('GET', 'https://api.stripe.com/v1/customers/cus_9s6XKzkNRiz8i3'),
    req('DELETE', 'https://api.stripe.com/v1/subscriptions/sub_49ty4767H20z6a'),
    req(
      'POST',
      'https://api.stripe.com/v1/payment_intents/pi_1/confirm',
      'payment_method=pm_card_visa',
      FORM_CT,
    ),
    req('GET', 'https://api.stripe.com/v1/balance'),
  ],
  slack: [
    req('POST', 'https://slack.com/api/chat.postMessage', {
      channel: 'C0123456',
      text: 'Deploy finished',
      blocks: [],
    }),
    req('POST', 'https://slack.com/api/conversations.archive', 'channel=C0123456', FORM_CT),
    req('GET', 'https://slack.com/api/users.list?limit=200'),
    req('POST', 'https://slack.com/api/admin.users.remove', 'user=U123&team_id=T1', FORM_CT),
  ],
  mcp: [
    req(
      'POST',
      'https://mcp.example.com/mcp',
      rpc('tools/call', { name: 'read_file', arguments: { path: '/srv/app/README.md' } }),
    ),
    req('POST', 'https://mcp.example.com/mcp', rpc('tools/list', {})),
    req('POST', 'https://mcp.example.com/mcp', [
      rpc('tools/call', { name: 'search_code', arguments: { q: 'TODO' } }, 1),
      rpc('tools/call', { name: 'delete_branch', arguments: { branch: 'old' } }, 2),
      rpc('ping', {}, 3),
    ]),
    req(
      'POST',
      'https://mcp.example.com/mcp',
      rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {} }),
    ),
  ],
  generic: [
    req('GET', 'https://internal.example.com/api/items?page=2'),
    req('POST', 'https://internal.example.com/api/items', { a: 1 }),
  ],
  webhook: [req('POST', 'https://hooks.example.com/tameflare', { event: 'approval.created' })],
};

function runOnce(connector, mix, options) {
  for (const r of mix) {
    const { body, ...head } = r;
    connector.wantsBody(head, options);
    connector.map(r, options);
  }
}

function measure(connector, mix) {
  const options = {};
  const perBatch = 200; // requests per timed batch
  const rounds = Math.ceil(perBatch / mix.length);
  for (let i = 0; i < 3000; i++) runOnce(connector, mix, options); // warm up the JIT
  const samples = [];
  const deadline = performance.now() + 1000;
  let total = 0;
  let count = 0;
  while (performance.now() < deadline) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) runOnce(connector, mix, options);
    const ns = Number(process.hrtime.bigint() - t0);
    const n = rounds * mix.length;
    samples.push(ns / n);
    total += ns;
    count += n;
  }
  samples.sort((a, b) => a - b);
  const pick = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: pick(0.5), p99: pick(0.99), mean: total / count, requests: count, mixSize: mix.length };
}

const rows = [];
for (const connector of CONNECTOR_TYPES) {
  const mix = MIXES[connector.type];
  if (!mix) continue;
  rows.push({ type: connector.type, ...measure(connector, mix) });
}

const fmt = (ns) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
console.log(`connector mapping cost per request (wantsBody + map), Node ${process.version}`);
console.log('connector   mix  requests    p50        p99        mean       vs 20 µs goal');
for (const r of rows) {
  console.log(
    `${r.type.padEnd(10)} ${String(r.mixSize).padStart(4)} ${String(r.requests).padStart(9)}  ${fmt(r.p50).padEnd(10)} ${fmt(r.p99).padEnd(10)} ${fmt(r.mean).padEnd(10)} ${((r.mean / 20000) * 100).toFixed(1)} %`,
  );
}
