import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../src/sync/gateway-sync-client.js';
import type { GatewayConfigSnapshot } from '../../src/sync/snapshot.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness({ registerGateway: true });
});
afterAll(async () => {
  await h?.close();
});

/** Opens the gateway stream and returns a function that waits for the next snapshot. */
async function openStream() {
  const abort = new AbortController();
  const res = await fetch(`${h.url}/internal/gateway/stream?gateway=default`, {
    headers: { authorization: `Bearer ${h.serviceToken}` },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const queue: GatewayConfigSnapshot[] = [];
  const waiters: ((s: GatewayConfigSnapshot) => void)[] = [];
  void readEvents(res.body!, async (event, data) => {
    if (event !== 'snapshot') return;
    const s = JSON.parse(data) as GatewayConfigSnapshot;
    const w = waiters.shift();
    if (w) w(s);
    else queue.push(s);
  }).catch(() => undefined);
  return {
    next: () =>
      new Promise<GatewayConfigSnapshot>((resolve) => {
        const s = queue.shift();
        if (s) resolve(s);
        else waiters.push(resolve);
      }),
    close: () => abort.abort(),
  };
}

describe('control plane configuration API', () => {
  it('refuses calls without a valid token, and names the role a call needs', async () => {
    expect((await h.api('GET', '/v1/agents', undefined, 'tf_pat_nope')).status).toBe(401);
    const viewer = await h.tokenWithRole('viewer');
    expect((await h.api('GET', '/v1/agents', undefined, viewer)).status).toBe(200);
    const denied = await h.api<{ code: string; required_role: string }>(
      'POST',
      '/v1/agents',
      { name: 'nope' },
      viewer,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('insufficient_role');
    expect(denied.body.required_role).toBe('admin');
  });

  it('rejects unknown fields instead of dropping them', async () => {
    const r = await h.api<{ code: string; detail: string }>('POST', '/v1/agents', {
      name: 'x1',
      mood: 'happy',
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.detail).toContain('mood');
  });

  it('streams a snapshot to the gateway on connect and after every change', async () => {
    const stream = await openStream();
    const first = await stream.next();
    expect(first.agents.map((a) => a.name)).not.toContain('bot-1');

    const created = await h.api<{ agent: { name: string; port: number }; key: string }>(
      'POST',
      '/v1/agents',
      {
        name: 'bot-1',
        labels: { environment: 'production' },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^tf_agent_[A-Za-z0-9_-]{43}$/);
    expect(created.body.agent.port).toBe(9444);

    const second = await stream.next();
    expect(second.version).toBeGreaterThan(first.version);
    const agent = second.agents.find((a) => a.name === 'bot-1')!;
    expect(agent.labels).toEqual({ environment: 'production' });
    expect(agent.keys[0]!.hash).toBe(createHash('sha256').update(created.body.key).digest('hex'));
    expect(JSON.stringify(second)).not.toContain(created.body.key);

    // A session key appears in the next snapshot and disappears once revoked.
    const sess = await h.api<{ id: string; key: string }>('POST', '/v1/agents/bot-1/session-keys', {
      ttl_seconds: 600,
    });
    expect(sess.status).toBe(201);
    expect(sess.body.key).toMatch(/^tf_sess_/);
    const third = await stream.next();
    expect(third.agents.find((a) => a.name === 'bot-1')!.keys.map((k) => k.kind)).toEqual([
      'agent',
      'session',
    ]);
    expect((await h.api('DELETE', `/v1/agents/bot-1/session-keys/${sess.body.id}`)).status).toBe(200);
    const fourth = await stream.next();
    expect(fourth.agents.find((a) => a.name === 'bot-1')!.keys.map((k) => k.kind)).toEqual(['agent']);

    await h.api('POST', '/v1/agents/bot-1/suspend');
    expect((await stream.next()).agents.find((a) => a.name === 'bot-1')!.status).toBe('suspended');
    await h.api('POST', '/v1/agents/bot-1/resume');
    expect((await stream.next()).agents.find((a) => a.name === 'bot-1')!.status).toBe('active');
    stream.close();
  });

  it('never shows an agent key again and allocates distinct stable ports', async () => {
    const a = await h.api<{ key: string; agent: { port: number } }>('POST', '/v1/agents', { name: 'bot-2' });
    const list = await h.api<{ agents: { name: string; port: number }[] }>('GET', '/v1/agents');
    expect(JSON.stringify(list.body)).not.toContain(a.body.key);
    const ports = list.body.agents.map((x) => x.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect((await h.api('POST', '/v1/agents', { name: 'bot-2' })).status).toBe(409);
    const clash = await h.api<{ detail: string }>('POST', '/v1/agents', {
      name: 'bot-3',
      port: a.body.agent.port,
    });
    expect(clash.status).toBe(409);
    expect(clash.body.detail).toContain('bot-2');
  });

  it('manages permissions with presets, and validates patterns', async () => {
    await h.api('POST', '/v1/agents', { name: 'perm-bot' });
    expect((await h.api('POST', '/v1/connectors', { type: 'github' })).status).toBe(201);
    const bad = await h.api('POST', '/v1/permissions', {
      agent: 'perm-bot',
      connector: 'github',
      action: 'github..merge',
      decision: 'allow',
    });
    expect(bad.status).toBe(400);
    const set = await h.api<{ permission: { id: number } }>('POST', '/v1/permissions', {
      agent: 'perm-bot',
      connector: 'github',
      action: 'github.pr.*',
      decision: 'require_approval',
    });
    expect(set.status).toBe(201);
    const again = await h.api<{ permission: { id: number; decision: string } }>('POST', '/v1/permissions', {
      agent: 'perm-bot',
      connector: 'github',
      action: 'github.pr.*',
      decision: 'deny',
    });
    expect(again.body.permission.id).toBe(set.body.permission.id);
    expect(again.body.permission.decision).toBe('deny');
    const preset = await h.api<{ permissions: { action: string; decision: string }[] }>(
      'POST',
      '/v1/permissions/preset',
      {
        agent: 'perm-bot',
        connector: 'github',
        preset: 'read-only',
      },
    );
    expect(preset.status).toBe(200);
    expect(preset.body.permissions.some((p) => p.action === '*' && p.decision === 'deny')).toBe(true);
    expect(
      preset.body.permissions.some((p) => p.action === 'github.repo.get' && p.decision === 'allow'),
    ).toBe(true);
    const unknown = await h.api('POST', '/v1/permissions', {
      agent: 'ghost',
      connector: 'github',
      action: '*',
      decision: 'allow',
    });
    expect(unknown.status).toBe(404);
  });

  it('writes every change to the hash-chained audit ledger in order', async () => {
    const rows = await h.db.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    const types = rows.map((r) => r.event_type);
    expect(types).toContain('agent.created');
    expect(types).toContain('agent.session_key_revoked');
    expect(types).toContain('permission.preset_applied');
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(JSON.stringify(rows)).not.toMatch(/tf_agent_|tf_sess_|tf_pat_/);
  });

  it('takes gateway events exactly once, even when redelivered', async () => {
    const events = [1, 2, 3].map((id) => ({
      id,
      event_type: 'action.allowed',
      payload: JSON.stringify({ agent: 'bot-1', action: 'github.repo.get', decision: 'allow', status: 200 }),
      created_at: new Date().toISOString(),
    }));
    const post = (body: unknown) =>
      fetch(`${h.url}/internal/gateway/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.serviceToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (await (await post({ gateway: 'default', events: events.slice(0, 2) })).json()) as unknown,
    ).toEqual({ acknowledged: 2 });
    expect((await (await post({ gateway: 'default', events })).json()) as unknown).toEqual({
      acknowledged: 3,
    });
    const traffic = await h.api<{ entries: { action: string; agent: string }[] }>(
      'GET',
      '/v1/traffic?agent=bot-1',
    );
    expect(traffic.body.entries).toHaveLength(3);
    expect((await post({ gateway: 'default', events })).status).toBe(200);
    expect((await h.api<{ entries: unknown[] }>('GET', '/v1/traffic?agent=bot-1')).body.entries).toHaveLength(
      3,
    );
    const wrong = await fetch(`${h.url}/internal/gateway/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ gateway: 'default', events }),
    });
    expect(wrong.status).toBe(401);
  });

  it('publishes an OpenAPI document of its routes', async () => {
    const r = await fetch(`${h.url}/v1/openapi.json`);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/agents', '/v1/agents/{name}/session-keys', '/v1/permissions']),
    );
  });
});
