// Approvals with the roles in two processes: the gateway opens approvals through its control plane
// and learns decisions from its stream. A held request outlives a control plane restart (the record
// is in local.db, the decision arrives on the re-opened stream); with the control plane down a
// request needing approval is refused at once (503, fails closed) while allowed traffic still flows;
// a kill switch set on the gateway meanwhile is reported back, and denies the approvals in its scope.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KillSwitchState } from '../../src/wire/kill-switch.js';
import { cliFor, eventually } from '../cli/cli-harness.js';
import { freePort } from '../helpers/cli-process.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import {
  approvalFor,
  configureApprovals,
  controlApiOf,
  curlVia,
  decide,
  problemOf,
  type RecordingUpstream,
  startRecordingUpstream,
} from './approval-helpers.js';

const SERVICE_TOKEN = 'approvals-split-token-0123456789abcdef';
let dirs: { control: string; gateway: string };
let ports: { control: number; gateway: number };
let upstream: RecordingUpstream;
let control: DaemonProcess | undefined;
let gateway: DaemonProcess;
const startGateway = (controlUrl: string) =>
  startDaemonProcess({
    dataDir: dirs.gateway,
    args: [
      '--role',
      'gateway',
      '--gateway-port',
      String(ports.gateway),
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.server.port}`,
    ],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, CONTROL_PLANE_URL: controlUrl },
  });
let proxy: string;

const startControl = () =>
  startDaemonProcess({
    dataDir: dirs.control,
    args: ['--role', 'control', '--port', String(ports.control)],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN, GATEWAY_URL: `http://127.0.0.1:${ports.gateway}` },
  });
const cli = () => cliFor(control!);
const controlApi = () => controlApiOf(control!);

beforeAll(async () => {
  dirs = {
    control: mkdtempSync(join(tmpdir(), 'tf-apv-cp-')),
    gateway: mkdtempSync(join(tmpdir(), 'tf-apv-gw-')),
  };
  ports = { control: await freePort(), gateway: await freePort() };
  upstream = await startRecordingUpstream();
  control = await startControl();
  gateway = await startGateway(control.controlUrl);
  const key = await configureApprovals(cli(), dirs.control);
  // A second agent whose requests are simply allowed.
  const free = await cli()(['agent', 'add', 'free-bot', '--json']);
  const freeKey = (JSON.parse(free.stdout) as { key: string }).key;
  await cli()(['permissions', 'preset', '--agent', 'free-bot', '--connector', 'plain', 'allow-all']);
  proxy = `http://bot:${key}@127.0.0.1:${ports.gateway}`;
  freeProxy = `http://free-bot:${freeKey}@127.0.0.1:${ports.gateway}`;
  // The configuration reaches the gateway through its stream: wait until a request is held.
  await eventually(
    async () => (await curlVia(freeProxy, 'http://plain.test/ready')).status,
    (s) => s === 200,
    'config',
  );
}, 90_000);
let freeProxy: string;

afterAll(async () => {
  await gateway?.stop();
  await control?.stop();
  await upstream?.server.close();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
});

const sql = (q: string) =>
  execFileSync('sqlite3', [join(dirs.control, 'local.db'), q], { encoding: 'utf8' }).trim();

describe('approvals with the roles split', () => {
  it('a held request survives a control plane restart and is released by a decision made after it', async () => {
    const held = curlVia(proxy, 'http://plain.test/survivor', ['-d', 'a=1']);
    const before = await approvalFor(controlApi(), '/survivor');
    expect(await control!.stop()).toEqual({ code: 0, signal: null });
    control = await startControl();
    const after = await approvalFor(controlApi(), '/survivor');
    expect(after).toMatchObject({ id: before.id, status: 'pending', gateway: 'default' });
    expect((await cli()(['approvals', 'approve', before.id])).code).toBe(0);
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.body).toBe('upstream saw POST /survivor a=1');
  });

  it('an approved request the client gave up on passes once after a gateway restart', async () => {
    expect((await curlVia(proxy, 'http://plain.test/after-restart', ['-m', '1'])).status).toBe(0);
    const approval = await approvalFor(controlApi(), '/after-restart');
    await decide(controlApi(), approval.id, 'approve');
    await gateway.stop();
    gateway = await startGateway(control!.controlUrl);
    const retry = await curlVia(proxy, 'http://plain.test/after-restart');
    expect(retry.status).toBe(200);
    expect((await curlVia(proxy, 'http://plain.test/after-restart', ['-m', '1'])).status).toBe(0);
    const fresh = await approvalFor(controlApi(), '/after-restart', (a) => a.id !== approval.id);
    await decide(controlApi(), fresh.id, 'deny');
    expect(upstream.count('/after-restart')).toBe(1);
  });

  it('with the control plane down: approval-needing requests get 503 approval_unavailable, allowed ones pass', async () => {
    // An approval left open for later: its client gave up.
    expect((await curlVia(proxy, 'http://plain.test/left-open', ['-m', '1'])).status).toBe(0);
    const open = await approvalFor(controlApi(), '/left-open');
    await control!.stop();
    control = undefined;

    const refused = await curlVia(proxy, 'http://plain.test/while-down');
    expect(refused.status).toBe(503);
    expect(problemOf(refused.body)).toMatchObject({ code: 'approval_unavailable', action: 'http.get' });
    expect(refused.headers.toLowerCase()).toContain('retry-after: 30');
    expect(upstream.count('/while-down')).toBe(0);
    expect((await curlVia(freeProxy, 'http://plain.test/free-while-down')).status).toBe(200);

    // A kill switch set on the gateway itself meanwhile...
    const kill = await fetch(`http://127.0.0.1:${ports.gateway}/internal/kill-switch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'agent:bot', reason: 'control plane is down' }),
    });
    expect(kill.status).toBe(200);
    expect(problemOf((await curlVia(proxy, 'http://plain.test/killed')).body).code).toBe(
      'kill_switch_active',
    );

    // ... is reported back when the control plane returns, and denies the approvals in its scope.
    control = await startControl();
    const state = await eventually(
      async () => (await cli()(['kill-switch', '--status', '--json'])).stdout,
      (s) => (JSON.parse(s) as KillSwitchState).gateways.length === 1,
      'the gateway reported its kill switch',
      20_000,
    );
    expect((JSON.parse(state) as KillSwitchState).gateways[0]).toMatchObject({
      gateway: 'default',
      scope: 'agent:bot',
      reason: 'control plane is down',
    });
    const denied = await approvalFor(controlApi(), '/left-open', (a) => a.id === open.id, 'denied');
    expect(denied).toMatchObject({
      decided_by: 'gateway:default',
      note: 'kill switch activated (scope agent:bot)',
    });
    expect(sql("select count(*) from audit_events where event_type = 'kill_switch.reported'")).toBe('1');

    // Deactivated on the gateway: reported too.
    const off = await fetch(`http://127.0.0.1:${ports.gateway}/internal/kill-switch?scope=agent:bot`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
    expect(off.status).toBe(200);
    await eventually(
      async () => (await cli()(['kill-switch', '--status', '--json'])).stdout,
      (s) => (JSON.parse(s) as KillSwitchState).gateways.length === 0,
      'the gateway reported the kill switch off',
    );
  });
});
