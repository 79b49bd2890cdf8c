import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness();
  // Creates the default gateway row, whose configuration version policy changes bump.
  await h.api('POST', '/v1/agents', { name: 'pay-bot' });
});
afterAll(async () => {
  await h?.close();
});

const REFUNDS_YAML = `name: refund-limits
description: large refunds need finance
priority: 10
scope:
  connectors: [stripe]
rules:
  - name: big-refunds
    when:
      all:
        - {field: action, operator: equals, value: stripe.refund.create}
        - {field: params.amount, operator: gt, value: 5000}
    decision: require_approval
    reason: refunds above 50.00 need finance
`;

interface ApplyAnswer {
  results: { name: string; change: string; version: number; message: string }[];
}
/** A problem+json answer (RFC 9457) with its compatibility member `error`. */
interface ErrorAnswer {
  code: string;
  detail: string;
  error: { code: string; message: string };
  errors?: { path: string; message: string; line?: number }[];
}

async function configVersion(): Promise<number> {
  const row = await h.db.db
    .selectFrom('gateways')
    .select('config_version')
    .where('name', '=', 'default')
    .executeTakeFirst();
  return row?.config_version ?? 0;
}

describe('/v1/policies', () => {
  it('rejects invalid documents with the exact path (and line for YAML)', async () => {
    const bad = await h.api<ErrorAnswer>('POST', '/v1/policies', {
      document: {
        name: 'bad',
        rules: [
          {
            name: 'r1',
            decision: 'deny',
            when: { all: [{ field: 'params.amount', operator: 'bigger', value: 1 }] },
          },
          { name: 'r2', decision: 'maybe' },
        ],
        colour: 'red',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.error.code).toBe('validation_failed');
    const paths = bad.body.errors!.map((e) => e.path);
    expect(paths).toContain('colour');
    expect(paths).toContain('rules[0].when.all[0].operator');
    expect(paths).toContain('rules[1].decision');
    expect(bad.body.detail).toContain('rules[1].decision');
    expect(bad.body.error.message).toContain('rules[1].decision');

    const yaml = await h.api<ErrorAnswer>('POST', '/v1/policies', {
      yaml: 'name: y\nrules:\n  - name: r\n    decision: allow\n    when: {field: amount, operator: equals, value: 1}\n',
    });
    expect(yaml.status).toBe(400);
    const e = yaml.body.errors![0]!;
    expect(e.path).toBe('rules[0].when.field');
    expect(e.line).toBe(5);

    expect((await h.api<ErrorAnswer>('POST', '/v1/policies', {})).status).toBe(400);
    expect((await h.api('POST', '/v1/policies', { yaml: 'x', document: {} })).status).toBe(400);
  });

  it('creates, re-applies as a no-op, updates with a new version, and bumps gateway configs', async () => {
    const before = await configVersion();
    const created = await h.api<ApplyAnswer>('POST', '/v1/policies', { yaml: REFUNDS_YAML });
    expect(created.status).toBe(201);
    expect(created.body.results).toMatchObject([{ name: 'refund-limits', change: 'created', version: 1 }]);
    expect(await configVersion()).toBe(before + 1);

    const again = await h.api<ApplyAnswer>('POST', '/v1/policies', { yaml: REFUNDS_YAML });
    expect(again.status).toBe(200);
    expect(again.body.results[0]).toMatchObject({ change: 'unchanged', version: 1 });
    expect(again.body.results[0]!.message).toMatch(/unchanged/);
    expect(await configVersion()).toBe(before + 1);

    const updated = await h.api<ApplyAnswer>('POST', '/v1/policies', {
      yaml: REFUNDS_YAML.replace('priority: 10', 'priority: 20'),
    });
    expect(updated.body.results[0]).toMatchObject({ change: 'updated', version: 2 });

    const show = await h.api<{
      policy: { version: number; priority: number; document: { priority: number } };
    }>('GET', '/v1/policies/refund-limits');
    expect(show.body.policy).toMatchObject({ version: 2, priority: 20, document: { priority: 20 } });
    const list = await h.api<{ policies: { name: string; rules: number; enabled: boolean }[] }>(
      'GET',
      '/v1/policies',
    );
    expect(list.body.policies).toEqual([
      expect.objectContaining({ name: 'refund-limits', rules: 1, enabled: true }),
    ]);
  });

  it('enables and disables, keeping the document and the snapshot in step', async () => {
    const off = await h.api<{ changed: boolean; policy: { enabled: boolean; version: number } }>(
      'POST',
      '/v1/policies/refund-limits/disable',
    );
    expect(off.body).toMatchObject({ changed: true, policy: { enabled: false, version: 3 } });
    const offAgain = await h.api<{ changed: boolean; message: string }>(
      'POST',
      '/v1/policies/refund-limits/disable',
    );
    expect(offAgain.body.changed).toBe(false);
    expect(offAgain.body.message).toMatch(/already disabled/);
    const stored = await h.db.db
      .selectFrom('policies')
      .selectAll()
      .where('name', '=', 'refund-limits')
      .executeTakeFirst();
    expect(stored?.enabled).toBe(0);
    expect(JSON.parse(stored!.document).enabled).toBe(false);
    const on = await h.api<{ policy: { enabled: boolean; version: number } }>(
      'POST',
      '/v1/policies/refund-limits/enable',
    );
    expect(on.body.policy).toMatchObject({ enabled: true, version: 4 });
  });

  it('keeps every version and rolls back to one as a new version', async () => {
    const history = await h.api<{
      current_version: number;
      versions: { version: number; change: string; actor: string }[];
    }>('GET', '/v1/policies/refund-limits/versions');
    expect(history.body.current_version).toBe(4);
    expect(history.body.versions.map((v) => [v.version, v.change])).toEqual([
      [4, 'enabled'],
      [3, 'disabled'],
      [2, 'updated'],
      [1, 'created'],
    ]);
    expect(history.body.versions[0]!.actor).toBe('token:cli (local)');

    const back = await h.api<{ changed: boolean; policy: { version: number; priority: number } }>(
      'POST',
      '/v1/policies/refund-limits/rollback',
      { version: 1 },
    );
    expect(back.body).toMatchObject({ changed: true, policy: { version: 5, priority: 10 } });
    const noop = await h.api<{ changed: boolean }>('POST', '/v1/policies/refund-limits/rollback', {
      version: 1,
    });
    expect(noop.body.changed).toBe(false);
    expect((await h.api('POST', '/v1/policies/refund-limits/rollback', { version: 99 })).status).toBe(404);

    const events = await h.db.db
      .selectFrom('audit_events')
      .select('event_type')
      .where('subject', '=', 'policy:refund-limits')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.event_type)).toEqual([
      'policy.created',
      'policy.updated',
      'policy.disabled',
      'policy.enabled',
      'policy.rolled_back',
    ]);
  });

  it('deletes a policy but keeps its history, and can restore it by rollback', async () => {
    const del = await h.api<{ deleted: boolean; version: number }>('DELETE', '/v1/policies/refund-limits');
    expect(del.body).toEqual({ deleted: true, name: 'refund-limits', version: 6 });
    expect((await h.api('GET', '/v1/policies/refund-limits')).status).toBe(404);
    expect((await h.api('DELETE', '/v1/policies/refund-limits')).status).toBe(404);
    const history = await h.api<{ current_version: number | null; versions: { change: string }[] }>(
      'GET',
      '/v1/policies/refund-limits/versions',
    );
    expect(history.body.current_version).toBeNull();
    expect(history.body.versions[0]!.change).toBe('deleted');
    const restored = await h.api<{ policy: { version: number } }>(
      'POST',
      '/v1/policies/refund-limits/rollback',
      {
        version: 2,
      },
    );
    expect(restored.body.policy.version).toBe(7);
    expect((await h.api('GET', '/v1/policies/nope/versions')).status).toBe(404);
  });

  it('applies every document of a YAML stream in one go', async () => {
    const two = `${REFUNDS_YAML.replace('refund-limits', 'a-one')}---\n${REFUNDS_YAML.replace('refund-limits', 'a-two')}`;
    const r = await h.api<ApplyAnswer>('POST', '/v1/policies', { yaml: two });
    expect(r.status).toBe(201);
    expect(r.body.results.map((x) => [x.name, x.change])).toEqual([
      ['a-one', 'created'],
      ['a-two', 'created'],
    ]);
  });

  it('lets a viewer read but not change', async () => {
    const viewer = await h.tokenWithRole('viewer');
    expect((await h.api('GET', '/v1/policies', undefined, viewer)).status).toBe(200);
    expect((await h.api('GET', '/v1/policies/a-one/versions', undefined, viewer)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/v1/policies', { yaml: REFUNDS_YAML }],
      ['POST', '/v1/policies/a-one/disable', undefined],
      ['POST', '/v1/policies/a-one/rollback', { version: 1 }],
      ['DELETE', '/v1/policies/a-one', undefined],
    ] as const) {
      const r = await h.api<ErrorAnswer>(method, path, body, viewer);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.code).toBe('insufficient_role');
    }
  });
});
