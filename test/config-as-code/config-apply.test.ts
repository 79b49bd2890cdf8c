import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let source: ControlHarness;
let target: ControlHarness;

const POLICY = {
  name: 'refund-limits',
  priority: 10,
  scope: { labels: { environment: 'production' }, connectors: ['stripe'] },
  rules: [
    {
      name: 'big-refunds',
      when: { all: [{ field: 'params.amount', operator: 'gt', value: 5000 }] },
      decision: 'require_approval',
      reason: 'refunds above 50.00 need finance',
    },
  ],
};

interface Diff {
  dry_run: boolean;
  create: { kind: string; name: string }[];
  update: { kind: string; name: string; changes: Record<string, { from: unknown; to: unknown }> }[];
  delete: { kind: string; name: string }[];
  kept: { kind: string; name: string }[];
  unchanged: number;
  new_agent_keys: Record<string, string>;
  credentials_missing: string[];
}
/** A problem+json answer (RFC 9457) with its compatibility member `error`. */
interface ErrorAnswer {
  code: string;
  detail: string;
  error: { code: string; message: string };
  errors?: { path: string; message: string; line?: number }[];
}

async function exportYaml(h: ControlHarness): Promise<string> {
  const res = await fetch(`${h.url}/v1/config/export`, { headers: { authorization: `Bearer ${h.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/yaml/);
  return res.text();
}

const apply = (
  h: ControlHarness,
  document: unknown,
  opts: { dry_run?: boolean; prune?: boolean } = {},
  token?: string,
) => h.api<Diff>('POST', '/v1/config/apply', { document, ...opts }, token);

beforeAll(async () => {
  [source, target] = await Promise.all([
    startControlHarness({ registerGateway: true }),
    startControlHarness({ registerGateway: true }),
  ]);
  const setup: [string, string, unknown][] = [
    ['POST', '/v1/agents', { name: 'pay-bot', labels: { environment: 'production', team: 'payments' } }],
    ['POST', '/v1/agents', { name: 'dev-bot', mode: 'monitor', proxy_auth: false, port: 9500 }],
    ['POST', '/v1/agents/dev-bot/suspend', undefined],
    ['POST', '/v1/connectors', { type: 'stripe' }],
    ['POST', '/v1/connectors', { type: 'github', name: 'ghe', base_url: 'https://ghe.example.com/api/v3/' }],
    [
      'POST',
      '/v1/connectors',
      { type: 'generic', name: 'internal', domains: ['internal.example.com:8443'], intercept: false },
    ],
    [
      'POST',
      '/v1/permissions',
      { agent: 'pay-bot', connector: 'stripe', action: 'stripe.refund.*', decision: 'allow' },
    ],
    [
      'POST',
      '/v1/permissions',
      { agent: 'dev-bot', connector: 'ghe', action: '*', decision: 'require_approval' },
    ],
    ['POST', '/v1/policies', { document: POLICY }],
    ['POST', '/v1/rate-limits', { agent: 'pay-bot', connector: 'stripe', rate: 1.5, burst: 5 }],
    ['POST', '/v1/rate-limits', { agent: '*', action: 'github.*', rate: 10, burst: 20 }],
    ['POST', '/v1/kill-switch', { scope: 'agent:dev-bot', reason: 'not part of config' }],
  ];
  for (const [method, path, body] of setup) {
    const r = await source.api(method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  }
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
});

describe('config export', () => {
  it('writes agents, connectors, permissions, policies and rate limits, without keys, credentials or kill switch', async () => {
    const text = await exportYaml(source);
    expect(text).not.toMatch(/tf_agent_|key_hash|kill_switch|not part of config/);
    const doc = parseYaml(text) as Record<string, unknown[]>;
    expect(Object.keys(doc)).toEqual([
      'version',
      'agents',
      'connectors',
      'permissions',
      'policies',
      'rate_limits',
    ]);
    expect(doc.agents).toEqual([
      { name: 'dev-bot', mode: 'monitor', labels: {}, port: 9500, proxy_auth: false, status: 'suspended' },
      {
        name: 'pay-bot',
        mode: 'enforce',
        labels: { environment: 'production', team: 'payments' },
        port: 9444,
        proxy_auth: true,
        status: 'active',
      },
    ]);
    expect(doc.connectors).toContainEqual({
      name: 'ghe',
      type: 'github',
      domains: ['ghe.example.com'],
      auth: 'bearer',
      base_url: 'https://ghe.example.com/api/v3',
      intercept: true,
      options: {},
      credential_set: false,
    });
    expect(doc.policies).toEqual([{ ...POLICY, enabled: true, mode: 'enforce' }]);
    expect(doc.rate_limits).toContainEqual({ agent: 'pay-bot', connector: 'stripe', rate: 1.5, burst: 5 });
    const json = await source.api<Record<string, unknown>>('GET', '/v1/config/export?format=json');
    expect(json.body).toEqual(doc);
  });
});

describe('config apply', () => {
  it('reproduces an install from its export, returns new agent keys once, and re-applies as a no-op', async () => {
    const exported = await exportYaml(source);
    const r = await apply(target, exported);
    expect(r.status).toBe(200);
    expect(r.body.create.map((c) => `${c.kind}:${c.name}`).sort()).toEqual(
      [
        'agent:dev-bot',
        'agent:pay-bot',
        'connector:ghe',
        'connector:internal',
        'connector:stripe',
        'permission:dev-bot/ghe/*',
        'permission:pay-bot/stripe/stripe.refund.*',
        'policy:refund-limits',
        'rate_limit:*/*/github.*',
        'rate_limit:pay-bot/stripe/*',
      ].sort(),
    );
    expect(Object.keys(r.body.new_agent_keys).sort()).toEqual(['dev-bot', 'pay-bot']);
    const key = r.body.new_agent_keys['pay-bot']!;
    expect(key).toMatch(/^tf_agent_/);
    const row = await target.db.db
      .selectFrom('agents')
      .select('key_hash')
      .where('name', '=', 'pay-bot')
      .executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(createHash('sha256').update(key).digest('hex'));

    expect(await exportYaml(target)).toBe(exported);

    const again = await apply(target, exported, { prune: true });
    expect(again.body).toMatchObject({
      create: [],
      update: [],
      delete: [],
      kept: [],
      unchanged: 10,
      new_agent_keys: {},
    });
    const events = await target.db.db
      .selectFrom('audit_events')
      .select('event_type')
      .where('event_type', '=', 'config.applied')
      .execute();
    expect(events).toHaveLength(1);
  });

  it('shows a dry run without changing anything', async () => {
    const before = await exportYaml(target);
    const auditBefore = await target.db.db.selectFrom('audit_events').select('id').execute();
    const doc = parseYaml(before) as { agents: { name: string; mode: string }[]; policies: unknown[] };
    doc.agents[1]!.mode = 'monitor';
    doc.agents.push({ name: 'new-bot', mode: 'enforce' });
    doc.policies = [];
    const r = await apply(target, doc, { dry_run: true, prune: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      dry_run: true,
      create: [{ kind: 'agent', name: 'new-bot' }],
      update: [{ kind: 'agent', name: 'pay-bot', changes: { mode: { from: 'enforce', to: 'monitor' } } }],
      delete: [{ kind: 'policy', name: 'refund-limits' }],
      new_agent_keys: {},
    });
    expect(await exportYaml(target)).toBe(before);
    expect(await target.db.db.selectFrom('audit_events').select('id').execute()).toHaveLength(
      auditBefore.length,
    );
  });

  it('keeps what the document leaves out unless --prune, and cascades deletions', async () => {
    const doc = {
      version: 1,
      agents: [{ name: 'pay-bot', labels: { environment: 'production', team: 'payments' }, port: 9444 }],
    };
    const kept = await apply(target, doc);
    expect(kept.body.kept).toEqual([{ kind: 'agent', name: 'dev-bot' }]);
    expect(kept.body.unchanged).toBe(1);
    expect(kept.body.delete).toEqual([]);

    const pruned = await apply(target, doc, { prune: true });
    expect(pruned.body.delete.map((d) => `${d.kind}:${d.name}`)).toEqual([
      'agent:dev-bot',
      'permission:dev-bot/ghe/*',
    ]);
    const agents = await target.api<{ agents: { name: string }[] }>('GET', '/v1/agents');
    expect(agents.body.agents.map((a) => a.name)).toEqual(['pay-bot']);
    // Sections absent from the document were not touched.
    const policies = await target.api<{ policies: unknown[] }>('GET', '/v1/policies');
    expect(policies.body.policies).toHaveLength(1);
  });

  it('is all or nothing: one bad reference or one bad policy rejects the whole document, naming its path and line', async () => {
    const before = await exportYaml(target);
    const badRef = [
      'version: 1',
      'agents:',
      '  - name: other-bot',
      'permissions:',
      '  - {agent: other-bot, connector: stripe, action: "stripe.*", decision: allow}',
      '  - {agent: other-bot, connector: paypal, action: "*", decision: allow}',
    ].join('\n');
    const r = await target.api<ErrorAnswer>('POST', '/v1/config/apply', { document: badRef });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.errors!).toEqual([
      {
        path: 'permissions[1].connector',
        line: 6,
        message: expect.stringContaining('no connector named paypal'),
      },
    ]);
    const badPolicy = await target.api<ErrorAnswer>('POST', '/v1/config/apply', {
      document: {
        version: 1,
        agents: [{ name: 'other-bot' }],
        policies: [{ ...POLICY, rules: [{ name: 'x', decision: 'hold' }] }],
      },
    });
    expect(badPolicy.status).toBe(400);
    expect(badPolicy.body.errors!.map((e) => e.path)).toEqual(['policies[0].rules[0].decision']);
    const badShape = await target.api<ErrorAnswer>('POST', '/v1/config/apply', {
      document: 'version: 2\nagents:\n  - name: Bad Name\n    colour: red\n',
    });
    expect(badShape.body.errors!.map((e) => `${e.line} ${e.path}`)).toEqual([
      '1 version',
      '4 agents[0].colour',
      '3 agents[0].name',
    ]);
    expect(await exportYaml(target)).toBe(before);
  });

  it('refuses what apply cannot do: moving types, clashing ports', async () => {
    const r = await target.api<ErrorAnswer>('POST', '/v1/config/apply', {
      document: {
        version: 1,
        agents: [{ name: 'clash-bot', port: 9444 }],
        connectors: [{ name: 'stripe', type: 'github' }],
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors!.map((e) => e.path).sort()).toEqual(['agents[0].port', 'connectors[0].type']);
  });

  it('lets two agents swap ports in one apply', async () => {
    const labels = { environment: 'production', team: 'payments' };
    const first = await apply(target, {
      version: 1,
      agents: [
        { name: 'pay-bot', labels, port: 9444 },
        { name: 'swap-bot', port: 9600 },
      ],
    });
    expect(first.status).toBe(200);
    const swapped = await apply(target, {
      version: 1,
      agents: [
        { name: 'pay-bot', labels, port: 9600 },
        { name: 'swap-bot', port: 9444 },
      ],
    });
    expect(swapped.status).toBe(200);
    expect(swapped.body.update.map((u) => u.changes.port)).toEqual([
      { from: 9444, to: 9600 },
      { from: 9600, to: 9444 },
    ]);
    const agents = await target.api<{ agents: { name: string; port: number }[] }>('GET', '/v1/agents');
    expect(agents.body.agents.map((a) => [a.name, a.port])).toEqual([
      ['pay-bot', 9600],
      ['swap-bot', 9444],
    ]);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await target.api<{ paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
    for (const path of [
      '/v1/config/apply',
      '/v1/config/export',
      '/v1/policies/{name}/rollback',
      '/v1/dry-run',
      '/v1/rate-limits/{id}',
    ])
      expect(Object.keys(doc.body.paths)).toContain(path);
  });

  it('lets a viewer export but not apply', async () => {
    const viewer = await target.tokenWithRole('viewer');
    expect((await target.api('GET', '/v1/config/export?format=json', undefined, viewer)).status).toBe(200);
    const r = await apply(target, { version: 1 }, {}, viewer);
    expect(r.status).toBe(403);
  });
});
