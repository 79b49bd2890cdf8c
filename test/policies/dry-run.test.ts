import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;

const POLICY = `name: payments-guard
priority: 10
rules:
  - name: big-refunds
    when:
      all:
        - {field: action, operator: equals, value: stripe.refund.create}
        - {field: params.amount, operator: gt, value: 5000}
    decision: require_approval
    reason: refunds above 50.00 need finance
    risk_score: 70
    approval: {timeout_seconds: 60, approver_roles: [admin]}
  - name: no-repo-deletion-in-production
    when:
      all:
        - {field: action, operator: equals, value: github.repo.delete}
        - {field: labels.environment, operator: equals, value: production}
    decision: deny
    reason: repositories are not deleted from production
`;

interface DryRun {
  verdict: string;
  code: string;
  reasons: string[];
  permission: { id: string; action: string; decision: string } | null;
  matched_rules: { policy: string; rule: string; decision: string; monitor: boolean }[];
  action: string | null;
  params: Record<string, unknown> | null;
  risk: string | null;
  connector: { name: string; type: string } | null;
  would_have?: string;
  approval?: { timeout_seconds: number; approver_roles: string[] };
  rate_limits: { rate: number }[];
}

beforeAll(async () => {
  h = await startControlHarness();
  const setup: [string, string, unknown][] = [
    ['POST', '/v1/agents', { name: 'pay-bot', labels: { environment: 'production' } }],
    ['POST', '/v1/agents', { name: 'dev-bot', labels: { environment: 'dev' }, mode: 'monitor' }],
    ['POST', '/v1/connectors', { type: 'stripe' }],
    ['POST', '/v1/connectors', { type: 'github' }],
    [
      'POST',
      '/v1/permissions',
      { agent: 'pay-bot', connector: 'stripe', action: 'stripe.*', decision: 'allow' },
    ],
    ['POST', '/v1/permissions', { agent: 'pay-bot', connector: 'github', action: '*', decision: 'allow' }],
    [
      'POST',
      '/v1/permissions',
      { agent: 'dev-bot', connector: 'github', action: 'github.repo.*', decision: 'deny' },
    ],
    ['POST', '/v1/policies', { yaml: POLICY }],
    ['POST', '/v1/rate-limits', { agent: 'pay-bot', connector: 'stripe', rate: 2, burst: 5 }],
  ];
  for (const [method, path, body] of setup) {
    const r = await h.api(method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  }
});
afterAll(async () => {
  await h?.close();
});

const dryRun = (body: unknown, token?: string) => h.api<DryRun>('POST', '/v1/dry-run', body, token);

describe('POST /v1/dry-run', () => {
  it('maps a request through the connector and holds a big refund, naming the permission and the rule', async () => {
    const r = await dryRun({
      agent: 'pay-bot',
      method: 'POST',
      url: 'https://api.stripe.com/v1/refunds',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'charge=ch_1&amount=6000',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      verdict: 'require_approval',
      code: 'approval_required',
      action: 'stripe.refund.create',
      params: { amount: 6000 },
      connector: { name: 'stripe', type: 'stripe' },
      permission: { action: 'stripe.*', decision: 'allow' },
      matched_rules: [
        { policy: 'payments-guard', rule: 'big-refunds', decision: 'require_approval', monitor: false },
      ],
      approval: { timeout_seconds: 60, approver_roles: ['admin'] },
    });
    expect(r.body.reasons[0]).toContain('big-refunds');
    expect(r.body.reasons.some((x) => x.includes('stripe.*'))).toBe(true);
    expect(r.body.rate_limits).toEqual([expect.objectContaining({ rate: 2 })]);
  });

  it('allows a small refund, and decides an action given by name the same way', async () => {
    const small = await dryRun({
      agent: 'pay-bot',
      method: 'POST',
      url: 'https://api.stripe.com/v1/refunds',
      body: 'amount=100',
    });
    expect(small.body).toMatchObject({ verdict: 'allow', code: 'allowed', matched_rules: [] });
    const action = await dryRun({
      agent: 'pay-bot',
      action: 'stripe.refund.create',
      params: { amount: 9000 },
    });
    expect(action.body).toMatchObject({
      verdict: 'require_approval',
      connector: { name: 'stripe' },
      risk: 'high',
      matched_rules: [{ rule: 'big-refunds' }],
    });
  });

  it('denies repository deletion by a production agent through the policy, after the permission allowed it', async () => {
    const r = await dryRun({
      agent: 'pay-bot',
      method: 'DELETE',
      url: 'https://api.github.com/repos/acme/site',
    });
    expect(r.body).toMatchObject({
      verdict: 'deny',
      code: 'policy_denied',
      action: 'github.repo.delete',
      permission: { action: '*', decision: 'allow' },
      matched_rules: [{ rule: 'no-repo-deletion-in-production', decision: 'deny' }],
    });
  });

  it("shows a monitor-mode agent's would-have verdict, and the permission that denied", async () => {
    const r = await dryRun({ agent: 'dev-bot', action: 'github.repo.delete', connector: 'github' });
    expect(r.body).toMatchObject({ verdict: 'allow', would_have: 'deny', code: 'permission_denied' });
    expect(r.body.reasons[0]).toMatch(/monitor mode/);
  });

  it('denies with connector_not_found when no connector covers the host, and default-denies without a permission', async () => {
    const none = await dryRun({ agent: 'pay-bot', url: 'https://example.org/x' });
    expect(none.body).toMatchObject({
      verdict: 'deny',
      code: 'connector_not_found',
      action: null,
      connector: null,
    });
    expect(none.body.reasons[0]).toContain('example.org:443');
    const noPerm = await dryRun({ agent: 'dev-bot', action: 'stripe.charge.create' });
    expect(noPerm.body).toMatchObject({ verdict: 'allow', would_have: 'deny', code: 'permission_denied' });
  });

  it('answers the kill switch first', async () => {
    expect(
      (await h.api('POST', '/v1/kill-switch', { scope: 'connector:stripe', reason: 'drill' })).status,
    ).toBe(200);
    const r = await dryRun({ agent: 'pay-bot', action: 'stripe.refund.create', params: { amount: 1 } });
    expect(r.body).toMatchObject({ verdict: 'deny', code: 'kill_switch_active' });
    expect(r.body.reasons[0]).toContain('drill');
    await h.api('DELETE', '/v1/kill-switch');
  });

  it('validates its input: unknown agent 404, both or neither of url and action 400, unknown fields 400', async () => {
    expect((await dryRun({ agent: 'ghost', action: 'stripe.refund.create' })).status).toBe(404);
    expect((await dryRun({ agent: 'pay-bot' })).status).toBe(400);
    expect(
      (await dryRun({ agent: 'pay-bot', url: 'https://api.stripe.com/', action: 'stripe.refund.create' }))
        .status,
    ).toBe(400);
    expect((await dryRun({ agent: 'pay-bot', action: 'stripe.refund.create', body: 'x' })).status).toBe(400);
    expect((await dryRun({ agent: 'pay-bot', action: 'stripe.refund.create', send: true })).status).toBe(400);
    expect((await dryRun({ agent: 'pay-bot', url: 'ftp://api.stripe.com/' })).status).toBe(400);
    expect((await dryRun({ agent: 'pay-bot', action: 'Not An Action' })).status).toBe(400);
  });

  it('is open to a viewer, since it only reads', async () => {
    const viewer = await h.tokenWithRole('viewer');
    expect((await dryRun({ agent: 'pay-bot', action: 'stripe.refund.list' }, viewer)).body.verdict).toBe(
      'allow',
    );
  });
});

describe('/v1/rate-limits', () => {
  it('sets, replaces, lists and removes limits, with audit events and version bumps', async () => {
    const version = async () =>
      (await h.db.db.selectFrom('gateways').select('config_version').executeTakeFirstOrThrow())
        .config_version;
    const v0 = await version();
    const created = await h.api<{ change: string; rate_limit: { id: string; rate: number; burst: number } }>(
      'POST',
      '/v1/rate-limits',
      { agent: '*', action: 'github.*', rate: 0.5, burst: 3 },
    );
    expect(created.status).toBe(201);
    expect(created.body.change).toBe('created');
    expect(await version()).toBe(v0 + 1);
    const same = await h.api<{ change: string }>('POST', '/v1/rate-limits', {
      agent: '*',
      action: 'github.*',
      rate: 0.5,
      burst: 3,
    });
    expect(same.body.change).toBe('unchanged');
    expect(await version()).toBe(v0 + 1);
    const replaced = await h.api<{ change: string; rate_limit: { id: string; burst: number } }>(
      'POST',
      '/v1/rate-limits',
      {
        agent: '*',
        action: 'github.*',
        rate: 0.5,
        burst: 10,
      },
    );
    expect(replaced.body).toMatchObject({
      change: 'updated',
      rate_limit: { id: created.body.rate_limit.id, burst: 10 },
    });

    const forPayBot = await h.api<{ rate_limits: { agent: string }[] }>(
      'GET',
      '/v1/rate-limits?agent=pay-bot',
    );
    expect(forPayBot.body.rate_limits.map((r) => r.agent).sort()).toEqual(['*', 'pay-bot']);

    expect((await h.api('DELETE', `/v1/rate-limits/${created.body.rate_limit.id}`)).status).toBe(200);
    expect((await h.api('DELETE', `/v1/rate-limits/${created.body.rate_limit.id}`)).status).toBe(404);
    const events = await h.db.db
      .selectFrom('audit_events')
      .select('event_type')
      .where('event_type', 'like', 'rate_limit.%')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.event_type)).toEqual([
      'rate_limit.set',
      'rate_limit.set',
      'rate_limit.set',
      'rate_limit.removed',
    ]);
  });

  it('validates rate, burst, pattern and references, and needs admin to change', async () => {
    const bad = [
      { agent: 'pay-bot', rate: 0, burst: 1 },
      { agent: 'pay-bot', rate: 1, burst: 0 },
      { agent: 'pay-bot', rate: 1, burst: 1.5 },
      { agent: 'pay-bot', action: 'stripe..x', rate: 1, burst: 1 },
      { agent: 'pay-bot', rate: 1, burst: 1, per: 'minute' },
    ];
    for (const body of bad)
      expect((await h.api('POST', '/v1/rate-limits', body)).status, JSON.stringify(body)).toBe(400);
    expect((await h.api('POST', '/v1/rate-limits', { agent: 'ghost', rate: 1, burst: 1 })).status).toBe(404);
    expect(
      (await h.api('POST', '/v1/rate-limits', { agent: 'pay-bot', connector: 'nope', rate: 1, burst: 1 }))
        .status,
    ).toBe(404);
    const viewer = await h.tokenWithRole('viewer');
    expect((await h.api('POST', '/v1/rate-limits', { agent: '*', rate: 1, burst: 1 }, viewer)).status).toBe(
      403,
    );
    expect((await h.api('GET', '/v1/rate-limits', undefined, viewer)).status).toBe(200);
  });
});
