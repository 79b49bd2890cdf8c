// Issue 12 against the built daemon with real clients: curl (with -x, and under `tameflare run`) is
// held until a person decides from the CLI; deny, hold timeout and the kill switch answer with
// their codes; identical requests join one approval; an approved request that the client gave up
// on passes once when retried; per-agent caps and body bounds; the live feed and the metrics.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalWire } from '../../src/wire/approvals.js';
import { cliFor, eventually, json } from '../cli/cli-harness.js';
import { BIN, type DaemonProcess, minimalEnv, startDaemonProcess } from '../helpers/spawn-daemon.js';
import {
  approvalFor,
  type Cli,
  type ControlApi,
  callApi,
  configureApprovals,
  controlApiOf,
  curlVia,
  decide,
  problemOf,
  proxyFor,
  type RecordingUpstream,
  startRecordingUpstream,
} from './approval-helpers.js';

let daemon: DaemonProcess;
let cli: Cli;
let upstream: RecordingUpstream;
let proxy: string;
let dir: string;
let control: ControlApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-approvals-'));
  upstream = await startRecordingUpstream();
  daemon = await startDaemonProcess({
    args: [
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.server.port}`,
      '--connect-to',
      `raw.test:80:127.0.0.1:${upstream.server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
    env: { TAMEFLARE_MAX_HOLDS_PER_AGENT: '3', TAMEFLARE_MAX_BODY_BYTES: '4096' },
  });
  cli = cliFor(daemon);
  control = controlApiOf(daemon);
  proxy = proxyFor(daemon, 'bot', await configureApprovals(cli, dir));
  // A tunnel the gateway does not open (no interception): decided once, on tunnel.connect.
  const raw = await cli([
    'connector',
    'add',
    'generic',
    '--name',
    'raw',
    '--domains',
    'raw.test',
    '--no-intercept',
  ]);
  expect(raw.code, raw.stderr).toBe(0);
  const perm = ['permissions', 'set', '--agent', 'bot', '--connector', 'raw', '--action', '*'];
  expect((await cli([...perm, '--decision', 'require_approval'])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await upstream?.server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('holding a request for approval', () => {
  it('releases a held curl request when the CLI approves it, with injection and the original body', async () => {
    const held = curlVia(proxy, 'http://plain.test/deploy?env=prod', ['-d', 'version=42']);
    const approval = await approvalFor(control, '/deploy');
    expect(approval).toMatchObject({
      status: 'pending',
      agent: 'bot',
      action: 'http.post',
      method: 'POST',
      host: 'plain.test',
      path: '/deploy?env', // query names only, never values
      requests: 1,
      required_role: 'member',
    });
    expect(upstream.count('/deploy?env=prod')).toBe(0);
    const approve = await cli(['approvals', 'approve', approval.id, '--note', 'ship it']);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`approved ${approval.id}`);
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.body).toBe('upstream saw POST /deploy?env=prod version=42');
    const shown = json<{ approval: ApprovalWire }>(await cli(['approvals', 'show', approval.id, '--json']));
    expect(shown.approval).toMatchObject({
      status: 'approved',
      note: 'ship it',
      decided_by: 'token:cli (local)',
    });
    expect(shown.approval.used_at).not.toBeNull();
  });

  it('answers 403 approval_denied with the note when the CLI denies', async () => {
    const held = curlVia(proxy, 'http://plain.test/drop-table');
    const approval = await approvalFor(control, '/drop-table');
    expect((await cli(['approvals', 'deny', approval.id, '--note', 'not today'])).code).toBe(0);
    const r = await held;
    expect(r.status).toBe(403);
    expect(problemOf(r.body)).toMatchObject({
      code: 'approval_denied',
      approval_id: approval.id,
      action: 'http.get',
      agent: 'bot',
    });
    expect(String(problemOf(r.body).detail)).toContain('not today');
    expect(upstream.count('/drop-table')).toBe(0);
    // A decided approval cannot be decided again.
    const again = await cli(['approvals', 'approve', approval.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already denied \(conflict\)/);
  });

  it("answers 408 approval_timeout after the rule's hold, keeps the approval open, and lets one retry through once approved", async () => {
    const first = await curlVia(proxy, 'http://plain.test/quick/report', ['-d', 'q=1']);
    expect(first.status).toBe(408);
    const problem = problemOf(first.body);
    expect(problem.code).toBe('approval_timeout');
    const id = String(problem.approval_id);
    expect(id).toMatch(/^apv_[0-9a-f]{20}$/);
    const open = json<{ approval: ApprovalWire }>(await cli(['approvals', 'show', id, '--json']));
    expect(open.approval.status).toBe('pending');
    expect((await cli(['approvals', 'approve', id])).code).toBe(0);
    const retry = await curlVia(proxy, 'http://plain.test/quick/report', ['-d', 'q=1']);
    expect(retry.status).toBe(200);
    expect(upstream.count('/quick/report')).toBe(1);
    // Once only: the next identical request needs a new approval.
    const third = await curlVia(proxy, 'http://plain.test/quick/report', ['-d', 'q=1']);
    expect(third.status).toBe(408);
    expect(problemOf(third.body).approval_id).not.toBe(id);
    expect(upstream.count('/quick/report')).toBe(1);
  });

  it('lets a retry through once after the client itself gave up, and drops the abandoned wait', async () => {
    const gaveUp = await curlVia(proxy, 'http://plain.test/nightly', ['-m', '1']);
    expect(gaveUp.status).toBe(0); // curl: operation timed out, no answer
    const approval = await approvalFor(control, '/nightly');
    await decide(control, approval.id, 'approve');
    const retry = await curlVia(proxy, 'http://plain.test/nightly');
    expect(retry.status).toBe(200);
    expect(retry.body).toBe('upstream saw GET /nightly');
    // The next one is held again (here given up on again): a new approval.
    await curlVia(proxy, 'http://plain.test/nightly', ['-m', '1']);
    const fresh = await approvalFor(control, '/nightly', (a) => a.id !== approval.id);
    expect(fresh.id).not.toBe(approval.id);
    expect(upstream.count('/nightly')).toBe(1);
    await decide(control, fresh.id, 'deny');
  });

  it('joins identical requests into one approval (the body is part of the identity); one approval lets one through', async () => {
    const a = curlVia(proxy, 'http://plain.test/refund', ['-d', 'amount=10']);
    await approvalFor(control, '/refund');
    const b = curlVia(proxy, 'http://plain.test/refund', ['-d', 'amount=10']);
    const joined = await approvalFor(control, '/refund', (x) => x.requests === 2);
    const other = curlVia(proxy, 'http://plain.test/refund', ['-d', 'amount=99']);
    const separate = await approvalFor(control, '/refund', (x) => x.id !== joined.id);
    expect(separate.digest).not.toBe(joined.digest);

    await decide(control, joined.id, 'approve');
    const statuses = [(await a).status, (await b).status].sort();
    expect(statuses).toEqual([200, 409]);
    expect(upstream.seen.filter((s) => s.url === '/refund' && s.body === 'amount=10')).toHaveLength(1);
    await decide(control, separate.id, 'deny');
    expect((await other).status).toBe(403);
  });

  it('caps held requests per agent (429) and bounds a held body (413)', async () => {
    const held = [1, 2, 3].map((n) => curlVia(proxy, `http://plain.test/cap-${n}`));
    for (const n of [1, 2, 3]) await approvalFor(control, `/cap-${n}`);
    const over = await curlVia(proxy, 'http://plain.test/cap-4');
    expect(over.status).toBe(429);
    expect(problemOf(over.body).code).toBe('too_many_holds');
    for (const n of [1, 2, 3]) {
      const a = await approvalFor(control, `/cap-${n}`);
      await decide(control, a.id, 'deny');
    }
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([403, 403, 403]);

    const big = await curlVia(proxy, 'http://plain.test/upload', ['--data-binary', 'x'.repeat(5000)]);
    expect(big.status).toBe(413);
    expect(problemOf(big.body).code).toBe('request_too_large');
    expect(upstream.count('/upload')).toBe(0);
  });

  it('holds a raw tunnel (CONNECT, no interception) until approved, then carries it end to end', async () => {
    const held = curlVia(proxy, 'http://raw.test/through-tunnel', ['-p']);
    const approval = await approvalFor(control, '', (a) => a.action === 'tunnel.connect');
    expect(approval).toMatchObject({ method: 'CONNECT', host: 'raw.test', connector: 'raw' });
    await decide(control, approval.id, 'approve');
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.body).toBe('upstream saw GET /through-tunnel');
  });

  it('holds a request made under `tameflare run` (no proxy settings of its own) until approved', async () => {
    const child = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = spawn(
        process.execPath,
        [BIN, 'run', '--agent', 'bot', '--', 'curl', '-sS', 'http://plain.test/under-run'],
        {
          env: minimalEnv({ TAMEFLARE_URL: daemon.controlUrl, TAMEFLARE_DATA_DIR: daemon.dataDir }),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      p.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
      });
      p.once('close', (code) => resolve({ code, stdout }));
    });
    const approval = await approvalFor(control, '/under-run');
    await decide(control, approval.id, 'approve');
    expect(await child).toEqual({ code: 0, stdout: 'upstream saw GET /under-run' });
  });

  it('streams approvals live to `approvals watch --json`: pending ones first, then each change', async () => {
    const first = curlVia(proxy, 'http://plain.test/watched-1');
    const pending = await approvalFor(control, '/watched-1');
    const watcher = spawn(process.execPath, [BIN, 'approvals', 'watch', '--json'], {
      env: minimalEnv({ TAMEFLARE_URL: daemon.controlUrl, TAMEFLARE_DATA_DIR: daemon.dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    watcher.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => watcher.once('close', (code) => resolve(code)));
    const eventsOf = (id: string) =>
      out
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; approval: ApprovalWire })
        .filter((e) => e.approval.id === id)
        .map((e) => `${e.type}:${e.approval.status}`);
    try {
      // Connected once the approval pending before it started is printed.
      await eventually(
        async () => eventsOf(pending.id),
        (e) => e.length > 0,
        'the watcher listed what is pending',
      );
      const second = curlVia(proxy, 'http://plain.test/watched-2');
      const live = await approvalFor(control, '/watched-2');
      for (const a of [pending, live]) await decide(control, a.id, 'approve');
      expect([(await first).status, (await second).status]).toEqual([200, 200]);
      await eventually(
        async () => [eventsOf(pending.id), eventsOf(live.id)],
        ([a, b]) => a!.length === 2 && b!.length === 2,
        'the watcher saw both decisions',
      );
      expect(eventsOf(pending.id)).toEqual(['approval.pending:pending', 'approval.decided:approved']);
      expect(eventsOf(live.id)).toEqual(['approval.requested:pending', 'approval.decided:approved']);
    } finally {
      watcher.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('the kill switch denies pending approvals in its scope and answers their held requests', async () => {
    const held = curlVia(proxy, 'http://plain.test/kill-me');
    const approval = await approvalFor(control, '/kill-me');
    const on = await cli(['kill-switch', '--activate', '--scope', 'agent:bot', '--reason', 'drill']);
    expect(on.code, on.stderr).toBe(0);
    try {
      const r = await held;
      expect(r.status).toBe(403);
      expect(problemOf(r.body)).toMatchObject({ code: 'kill_switch_active', approval_id: approval.id });
      expect(r.headers.toLowerCase()).toContain('x-tameflare-kill-switch: active');
      const after = await approvalFor(control, '/kill-me', (a) => a.id === approval.id, 'denied');
      expect(after.note).toBe('kill switch activated (scope agent:bot)');
    } finally {
      expect((await cli(['kill-switch', '--deactivate'])).code).toBe(0);
    }
  });

  it('records every step in the audit log and counts holds in the metrics', async () => {
    // Through the API, so the same check holds on PostgreSQL (the postgres test project).
    const events = await eventually(
      async () => {
        const page = await callApi<{ events: { event_type: string }[] }>(
          control,
          'GET',
          '/v1/audit?type=approval.*,action.*&limit=1000',
        );
        return [...new Set(page.body.events.map((e) => e.event_type))].join('\n');
      },
      (t) => t.includes('approval.hold_abandoned') && t.includes('approval.hold_timed_out'),
      'the gateway steps reached the audit log',
    );
    for (const type of [
      'approval.requested',
      'approval.joined',
      'approval.approved',
      'approval.denied',
      'approval.used',
      'approval.hold_timed_out',
      'approval.hold_abandoned',
      'action.approved',
      'action.approval_denied',
      'action.approval_timeout',
    ]) {
      expect(events, type).toContain(type);
    }
    const metrics = await (await fetch(`${daemon.controlUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tameflare_approvals_decided_total\{outcome="approved"\} [1-9]/m);
    expect(metrics).toMatch(/^tameflare_approvals_pending 0$/m);
    const gateway = await (await fetch(`${daemon.gatewayUrl}/metrics`)).text();
    expect(gateway).toMatch(/^tameflare_gateway_approval_hold_seconds_count\{outcome="approved"\} [1-9]/m);
    expect(gateway).toMatch(/^tameflare_gateway_approval_holds_total\{outcome="timeout"\} [1-9]/m);
    expect(gateway).toMatch(/^tameflare_gateway_approval_holds 0$/m);
  });
});
