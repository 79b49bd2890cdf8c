// State that must hold across two control-plane processes on one PostgreSQL database (issue 18 item
// 2), with one gateway streaming from A: a configuration change made on B reaches it (change feed),
// B reports it connected (gateway_streams), an approval decided on B releases the request it holds
// and each process's live approvals stream sees what the other did, failed sign-ins count together,
// a session and a decision token made on A work on B, and a token's nonce is spent once when the same
// token is presented to both at the same moment.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApprovalWire } from '../../src/wire/approvals.js';
import {
  approvalFor,
  type ControlApi,
  callApi,
  configureApprovals,
  controlApiOf,
  curlVia,
  decide,
  type RecordingUpstream,
  startRecordingUpstream,
} from '../approvals/approval-helpers.js';
import { cliFor, eventually } from '../cli/cli-harness.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres-schema.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

const SERVICE_TOKEN = 'cross-process-service-token-0123456789';
let schema: TestSchema;
let dirs: { a: string; b: string };
let a: DaemonProcess;
let b: DaemonProcess;
let gateway: DaemonProcess;
let upstream: RecordingUpstream;
let apiA: ControlApi;
let apiB: ControlApi;
let botKey: string;

const controlPlane = (dataDir: string) =>
  startDaemonProcess({
    dataDir,
    args: ['--role', 'control'],
    env: { TAMEFLARE_DATABASE_URL: schema.url, GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN },
  });
const proxy = (agent: string, key: string) => `http://${agent}:${key}@${new URL(gateway.gatewayUrl).host}`;

interface Sse {
  events: { event: string; data: string }[];
  close(): void;
}

/** Reads a control plane's live approvals stream into `events` until closed. */
async function approvalsStream(api: ControlApi): Promise<Sse> {
  const stop = new AbortController();
  const res = await fetch(`${api.controlUrl}/v1/approvals/stream`, {
    headers: { authorization: `Bearer ${api.token}`, accept: 'text/event-stream' },
    signal: stop.signal,
  });
  expect(res.status).toBe(200);
  const events: Sse['events'] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data });
        }
      }
    } catch {
      // aborted
    }
  })();
  await eventually(
    async () => events.length,
    (n) => n > 0,
    'the ready event',
  );
  return { events, close: () => stop.abort() };
}

const sawApproval = (sse: Sse, type: string, id: string) =>
  sse.events.some(
    (e) => e.event === type && (JSON.parse(e.data) as { approval: ApprovalWire }).approval.id === id,
  );

beforeAll(async () => {
  if (!inject('postgresUrl')) return;
  schema = await createTestSchema(inject('postgresUrl'));
  dirs = { a: mkdtempSync(join(tmpdir(), 'tf-xpa-')), b: mkdtempSync(join(tmpdir(), 'tf-xpb-')) };
  a = await controlPlane(dirs.a);
  // One signing key for both, as docs/deployment.md asks.
  copyFileSync(join(dirs.a, 'signing.key'), join(dirs.b, 'signing.key'));
  b = await controlPlane(dirs.b);
  upstream = await startRecordingUpstream();
  gateway = await startDaemonProcess({
    args: [
      '--role',
      'gateway',
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.server.port}`,
    ],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, CONTROL_PLANE_URL: a.controlUrl },
  });
  apiA = controlApiOf(a);
  apiB = controlApiOf(b);
  botKey = await configureApprovals(cliFor(a), dirs.a);
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), b?.stop(), a?.stop()]);
  await upstream?.server.close();
  await schema?.drop();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('two control planes on one database, one gateway streaming from A', () => {
  it('push a configuration change made on B to the gateway streaming from A', async () => {
    const viaB = cliFor(b);
    const added = await viaB(['agent', 'add', 'late-bot', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const key = (JSON.parse(added.stdout) as { key: string }).key;
    const preset = await viaB([
      'permissions',
      'preset',
      '--agent',
      'late-bot',
      '--connector',
      'plain',
      'allow-all',
    ]);
    expect(preset.code, preset.stderr).toBe(0);
    // Unknown to the gateway until the version made on B arrives through A's stream (407 before).
    await eventually(
      async () => (await curlVia(proxy('late-bot', key), 'http://plain.test/late')).status,
      (s) => s === 200,
      'the agent added on B, at the gateway streaming from A',
      20_000,
    );
    expect(upstream.count('/late')).toBeGreaterThanOrEqual(1);
  });

  it('report the gateway connected on both processes while its stream is open on A', async () => {
    for (const api of [apiA, apiB]) {
      const list = await callApi<{ gateways: { name: string; status: string }[] }>(
        api,
        'GET',
        '/v1/gateways',
      );
      expect(list.body.gateways.map((g) => [g.name, g.status])).toEqual([['default', 'connected']]);
    }
    const health = (await (await fetch(`${b.controlUrl}/health`)).json()) as {
      gateways: { name: string; status: string }[];
    };
    expect(health.gateways.map((g) => g.status)).toEqual(['connected']);
  });

  it('release a request held at the gateway when B approves it, and stream each change to both', async () => {
    const [sseA, sseB] = await Promise.all([approvalsStream(apiA), approvalsStream(apiB)]);
    try {
      const held = curlVia(proxy('bot', botKey), 'http://plain.test/held-cross');
      // Opened through A (the gateway's control plane), listed and decided through B.
      const approval = await approvalFor(apiB, '/held-cross');
      await eventually(
        async () => sawApproval(sseB, 'approval.requested', approval.id),
        Boolean,
        'approval.requested made on A, on B',
      );
      await decide(apiB, approval.id, 'approve');
      const answer = await held;
      expect([answer.status, answer.body]).toEqual([200, 'upstream saw GET /held-cross']);
      await eventually(
        async () => sawApproval(sseA, 'approval.decided', approval.id),
        Boolean,
        'approval.decided made on B, on A',
      );
    } finally {
      sseA.close();
      sseB.close();
    }
  });

  it('record one decision when both processes decide the same approval at the same moment', async () => {
    const held = curlVia(proxy('bot', botKey), 'http://plain.test/held-race');
    const approval = await approvalFor(apiA, '/held-race');
    const answers = await Promise.all([
      callApi<{ code?: string }>(apiA, 'POST', `/v1/approvals/${approval.id}/approve`, {}),
      callApi<{ code?: string }>(apiB, 'POST', `/v1/approvals/${approval.id}/deny`, {}),
    ]);
    const won = answers.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.find((r) => r.status !== 200)).toMatchObject({ status: 409, body: { code: 'conflict' } });
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const decided = await client.query(
        "select event_type from audit_events where subject = $1 and event_type in ('approval.approved', 'approval.denied')",
        [approval.id],
      );
      expect(decided.rows).toHaveLength(1);
    } finally {
      await client.end();
    }
    expect((await held).status).toBe(answers[0]!.status === 200 ? 200 : 403);
  });

  it('count failed sign-ins together: the lock trips after 5 whichever process they reach', async () => {
    const login = (cp: DaemonProcess, password: string) =>
      fetch(`${cp.controlUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'guess@example.test', password }),
      });
    for (let i = 0; i < 5; i++) expect((await login(i % 2 ? b : a, `wrong ${i}`)).status).toBe(401);
    for (const cp of [a, b]) {
      const locked = await login(cp, 'wrong again');
      expect(locked.status).toBe(429);
      expect(((await locked.json()) as { code: string }).code).toBe('rate_limited');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('accept a session started on A at B (cookie and CSRF token)', async () => {
    const password = 'a long enough password for the test';
    const user = await callApi(apiA, 'POST', '/v1/users', {
      email: 'ops@example.test',
      role: 'admin',
      password,
    });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const signIn = await fetch(`${a.controlUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.test', password }),
    });
    expect(signIn.status).toBe(200);
    const cookie = /^(tf_session=[^;]*)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!;
    const { csrf_token: csrf } = (await signIn.json()) as { csrf_token: string };
    const me = await fetch(`${b.controlUrl}/v1/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'session', email: 'ops@example.test' });
    const write = await fetch(`${b.controlUrl}/v1/agents`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'made-with-a-cookie' }),
    });
    expect(write.status).toBe(201);
  });

  it('spend a decision token once when both processes are handed it at the same moment', async () => {
    const sdk = await callApi<{ key: string }>(apiA, 'POST', '/v1/agents', { name: 'sdk-bot' });
    expect((await callApi(apiA, 'POST', '/v1/connectors', { type: 'github' })).status).toBe(201);
    const perm = await callApi(apiB, 'POST', '/v1/permissions', {
      agent: 'sdk-bot',
      connector: 'github',
      action: 'github.pr.create',
      decision: 'allow',
    });
    expect(perm.status).toBe(201);
    const ask = () =>
      callApi<{ action_request_id: string; status: string; decision_token: string }>(
        apiA,
        'POST',
        '/v1/actions',
        { type: 'github.pr.create', parameters: { repo: 'acme/app' } },
        sdk.body.key,
      );
    const execute = (api: ControlApi, id: string, token: string) =>
      callApi<{ code?: string }>(
        api,
        'POST',
        `/v1/actions/${id}/execute`,
        { decision_token: token },
        sdk.body.key,
      );

    // Signed by A, verified and spent by B.
    const first = await ask();
    expect(first.body.status).toBe('allowed');
    expect((await execute(apiB, first.body.action_request_id, first.body.decision_token)).status).toBe(200);

    // The same token at both processes at once, several times each: exactly one wins.
    const second = await ask();
    const tries = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        execute(i % 2 ? apiB : apiA, second.body.action_request_id, second.body.decision_token),
      ),
    );
    expect(tries.filter((t) => t.status === 200)).toHaveLength(1);
    for (const t of tries.filter((t) => t.status !== 200))
      expect([t.status, t.body.code]).toEqual([409, 'decision_token_used']);
  });
});
