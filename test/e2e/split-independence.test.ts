// The seed's component-independence table, row by row, with the two roles in two processes and two
// data directories (as on two hosts), the gateway's link to its control plane and the control
// plane's link to its gateway each through a TCP relay that can be cut (a network partition):
//   both running → everything; gateway only → proxy with local permissions and vault, events wait;
//   control plane only → API and audit, proxy refused; partition → the gateway goes on; control
//   plane restarted (kill -9) during traffic → nothing lost, the seed's two counts equal.
// SDK mode and decision tokens across the split (control plane only, partition) are in
// split-decision-tokens.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentAnswer } from '../../src/wire/agents.js';
import type { GatewayList } from '../../src/wire/gateways.js';
import { json, runTameflare } from '../cli/cli-harness.js';
import { freePort, isListening } from '../helpers/cli-process.js';
import type { DaemonProcess } from '../helpers/spawn-daemon.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import {
  curl,
  health,
  seedCounts,
  sql,
  startControl,
  startGateway,
  startUpstream,
  type Upstream,
  until,
} from './split-harness.js';

const TOKEN = `ghp_SPLIT_${Date.now().toString(36)}_vaulted`;
const DUMMY = 'dummy-held-by-the-agent';

let dirs: { control: string; gateway: string };
let ports: { control: number; gateway: number; agentStart: number };
let upstream: Upstream;
let toControl: TcpRelay; // the gateway's CONTROL_PLANE_URL
let toGateway: TcpRelay; // the control plane's GATEWAY_URL
let control: DaemonProcess | undefined;
let gateway: DaemonProcess | undefined;
let proxyUrl: string;
let gatewayCa: string;

const controlUrl = () => `http://127.0.0.1:${ports.control}`;
const gatewayUrl = () => `http://127.0.0.1:${ports.gateway}`;
const cli = (args: string[], input?: string) =>
  runTameflare(args, {
    input,
    env: { TAMEFLARE_URL: controlUrl(), TAMEFLARE_DATA_DIR: dirs.control },
  });
const bootControl = async () => {
  control = await startControl({
    dataDir: dirs.control,
    port: ports.control,
    env: { GATEWAY_URL: toGateway.url },
  });
};
const bootGateway = async () => {
  gateway = await startGateway({
    dataDir: dirs.gateway,
    port: ports.gateway,
    controlUrl: toControl.url,
    upstream,
    portStart: ports.agentStart,
    portEnd: ports.agentStart + 19,
  });
};
const github = (path: string, extra: string[] = []) =>
  curl(proxyUrl, gatewayCa, `https://api.github.com${path}`, [
    '-H',
    `Authorization: Bearer ${DUMMY}`,
    ...extra,
  ]);
/** What the fake upstream saw as Authorization (it echoes the headers it received). */
const injected = (body: string) =>
  (JSON.parse(body) as { headers: { authorization?: string } }).headers.authorization;

beforeAll(async () => {
  dirs = {
    control: mkdtempSync(join(tmpdir(), 'tf-cp-')),
    gateway: mkdtempSync(join(tmpdir(), 'tf-gw-')),
  };
  ports = {
    control: await freePort(),
    gateway: await freePort(),
    agentStart: 41_000 + Math.floor(Math.random() * 400) * 50,
  };
  upstream = await startUpstream();
  toControl = await startTcpRelay(ports.control);
  toGateway = await startTcpRelay(ports.gateway);
  await bootControl();
  await bootGateway();
  gatewayCa = join(dirs.gateway, 'ca.crt');
  const agent = json<{ key: string; agent: { port: number } }>(
    await cli(['agent', 'add', 'split-bot', '--json']),
  );
  proxyUrl = `http://split-bot:${agent.key}@127.0.0.1:${ports.gateway}`;
  const add = await cli(['connector', 'add', 'github', '--token-stdin'], TOKEN);
  expect(add.code, add.stderr).toBe(0);
  for (const args of [
    ['permissions', 'preset', '--agent', 'split-bot', '--connector', 'github', 'allow-all'],
    [
      'permissions',
      'set',
      '--agent',
      'split-bot',
      '--connector',
      'github',
      '--action',
      'github.repo.delete',
      '--decision',
      'deny',
    ],
  ]) {
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(0);
  }
  // The configuration reaches the other process through the stream.
  await until(async () => expect((await github('/repos/o/r?ready')).status).toBe(200), 30_000);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await control?.stop();
  await toControl?.close();
  await toGateway?.close();
  await upstream?.close();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
});

describe('both running: everything', () => {
  it('proxies with the vault credential; the agent port comes from the gateway range', async () => {
    const r = await github('/repos/o/r?both');
    expect(r.status).toBe(200);
    expect(injected(r.body)).toBe(`Bearer ${TOKEN}`);
    const { agent } = json<AgentAnswer>(await cli(['agent', 'show', 'split-bot', '--json']));
    expect(agent.port).toBeGreaterThanOrEqual(ports.agentStart);
    expect(agent.port).toBeLessThanOrEqual(ports.agentStart + 19);
    expect(agent.proxy_url).toBe(`http://split-bot@127.0.0.1:${ports.gateway}`);
    await until(async () =>
      expect(json<AgentAnswer>(await cli(['agent', 'show', 'split-bot', '--json'])).agent.port_state).toBe(
        'open',
      ),
    );
  });

  it('a port another program holds is a clear error in agent show and the gateway /health', async () => {
    const squatter = createServer();
    const taken = ports.agentStart + 19;
    await new Promise<void>((resolve) => squatter.listen(taken, '127.0.0.1', resolve));
    try {
      expect((await cli(['agent', 'add', 'squatted', '--port', String(taken)])).code).toBe(0);
      await until(async () => {
        const { agent } = json<AgentAnswer>(await cli(['agent', 'show', 'squatted', '--json']));
        expect(agent.port_state).toBe('failed');
        expect(agent.port_error).toMatch(
          new RegExp(`gateway default cannot listen on ${taken}: EADDRINUSE: another program`),
        );
      });
      expect((await cli(['agent', 'show', 'squatted'])).stdout).toMatch(
        /port problem +gateway default cannot listen/,
      );
      const gw = await health(gatewayUrl());
      expect(gw.agent_port_range).toMatchObject({ start: ports.agentStart, end: ports.agentStart + 19 });
      expect(gw.agent_port_range?.errors[String(taken)]).toMatch(/^EADDRINUSE/);
    } finally {
      expect((await cli(['agent', 'remove', 'squatted'])).code).toBe(0);
      squatter.close();
    }
  });

  it("each role's /health reports the other, keeping the seed's gateway shape", async () => {
    await until(async () => {
      const gw = await health(gatewayUrl());
      expect(gw).toMatchObject({
        status: 'ok',
        uptime_seconds: expect.any(Number),
        agents: 1,
        connectors: 1,
        outbox_backlog: expect.any(Number),
      });
      expect(gw.control_plane).toMatchObject({ status: 'connected', url: toControl.url, registered: true });
      const cp = await health(controlUrl());
      expect(cp.gateways).toEqual([
        expect.objectContaining({ name: 'default', status: 'connected', outbox_backlog: expect.any(Number) }),
      ]);
      // The version the gateway runs is the one the control plane holds for it.
      expect(cp.gateways?.[0]?.applied_config_version).toBe(cp.gateways?.[0]?.config_version);
      expect(gw.control_plane?.config_version).toBe(cp.gateways?.[0]?.config_version);
    });
    const status = await cli(['status']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/control plane\s+http:\/\/127\.0\.0\.1:\d+\s+ok/);
    expect(status.stdout).toMatch(
      /gateway\s+http:\/\/127\.0\.0\.1:\d+\s+ok .*name default, connected, config \d+ \/ \d+, backlog \d+/,
    );
  });

  it('action events reach the audit log: the seed counts are equal', async () => {
    await until(() => {
      const c = seedCounts(dirs.gateway, dirs.control);
      expect(c.control).toBe(c.gateway);
    });
  });
});

/** The gateway's traffic_log ids of the requests whose path has `marker`, comma-separated. */
function rowIds(marker: string): string {
  return execFileSync(
    'sqlite3',
    [
      join(dirs.gateway, 'gateway.db'),
      `select group_concat(id) from traffic_log where path like '%${marker}%'`,
    ],
    { encoding: 'utf8' },
  ).trim();
}

/** Action events in the ledger that refer to those rows (compact events name them by traffic_id). */
function eventsFor(marker: string): number {
  return sql(
    dirs.control,
    'local.db',
    `select count(*) from audit_events where json_extract(details, '$.traffic_id') in (${rowIds(marker) || 'NULL'})`,
  );
}

describe('gateway only: proxy mode works with local permissions and the vault', () => {
  it('keeps proxying, injecting and denying with the control plane down; events wait', async () => {
    // Exit 0, not the helper's SIGKILL: a connected gateway's stream must not hold shutdown up.
    expect(await control!.stop()).toEqual({ code: 0, signal: null });
    control = undefined;
    for (let i = 0; i < 5; i++) {
      const r = await github(`/repos/o/r?offline-${i}`);
      expect(r.status).toBe(200);
      expect(injected(r.body)).toBe(`Bearer ${TOKEN}`);
    }
    const denied = await github('/repos/o/r', ['-X', 'DELETE']);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({
      code: 'permission_denied',
      action: 'github.repo.delete',
    });
    // Unknown agents are still refused: the cache is the configuration, not an open door.
    expect(
      (
        await curl(
          `http://nobody:tf_agent_x@127.0.0.1:${ports.gateway}`,
          gatewayCa,
          'https://api.github.com/x',
        ).catch((e: Error) => ({ status: /407/.test(e.message) ? 407 : 0, body: '' }))
      ).status,
    ).toBe(407);
    await until(async () => {
      const gw = await health(gatewayUrl());
      expect(gw.status).toBe('ok');
      expect(gw.control_plane).toMatchObject({ status: 'unreachable', connected: false });
      expect(gw.outbox_backlog).toBeGreaterThanOrEqual(6);
    });
  });
});

describe('control plane only: API and audit work, proxy mode does not', () => {
  it('takes the backlog when it comes back, once: the seed counts are equal again', {
    timeout: 90_000,
  }, async () => {
    await bootControl();
    await until(() => {
      expect(sql(dirs.gateway, 'gateway.db', 'select count(*) from outbox')).toBe(0);
      const c = seedCounts(dirs.gateway, dirs.control);
      expect(c.control).toBe(c.gateway);
    }, 30_000);
    expect(
      sql(
        dirs.gateway,
        'gateway.db',
        "SELECT COUNT(*) FROM traffic_log WHERE decision IS NULL AND created_at > date('now');",
      ),
    ).toBe(0);
    // Each request made while the control plane was down is in the ledger once: its compact event
    // refers to its traffic_log row (traffic_id).
    expect(eventsFor('offline-')).toBe(5);
  });

  it('serves the API and the audit log with the gateway down; proxy mode is refused', async () => {
    expect(await gateway!.stop()).toEqual({ code: 0, signal: null });
    gateway = undefined;
    expect(await isListening(ports.gateway)).toBe(false);
    // Registering an agent still works: its port comes from the range the gateway registered.
    const added = json<{ agent: { port: number } }>(await cli(['agent', 'add', 'later-bot', '--json']));
    expect(added.agent.port).toBeGreaterThanOrEqual(ports.agentStart);
    expect(added.agent.port).toBeLessThanOrEqual(ports.agentStart + 19);
    // The audit log, read and verified on the control plane alone.
    const verify = await cli(['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // Listed from the ledger: who, what, the decision; the request's details live in the gateway's
    // traffic log, unavailable while it is down (docs/operations.md, "Compact action events").
    const logs = await cli(['logs', '--last', '100', '--json']);
    expect(logs.code, logs.stderr).toBe(0);
    const offline = new Set(rowIds('offline-').split(',').map(Number));
    const entries = logs.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { traffic_id: number; details?: string; decision: string });
    const listed = entries.filter((e) => offline.has(e.traffic_id));
    expect(listed).toHaveLength(5);
    for (const e of listed) expect(e).toMatchObject({ decision: 'allow', details: 'unavailable' });
  });

  it('shows the gateway as unreachable, and what needs it says so plainly', async () => {
    await until(async () => {
      const { gateways } = json<GatewayList>(await cli(['gateway', 'list', '--json']));
      expect(gateways).toEqual([
        expect.objectContaining({ name: 'default', status: 'unreachable', last_seen_at: expect.any(String) }),
      ]);
      expect((await health(controlUrl())).gateways?.[0]?.status).toBe('unreachable');
    });
    const token = await cli(['connector', 'set-token', 'github', '--token-stdin'], TOKEN);
    expect(token.code).toBe(1);
    expect(token.stderr).toMatch(/gateway default at .* cannot be reached/);
    const status = await cli(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(
      /gateway\s+http:\/\/127\.0\.0\.1:\d+\s+not running .*name default, unreachable/,
    );
  });

  // A process start and the configuration stream's reconnection: up to 30 s each on a loaded machine.
  it('the gateway comes back on its own data dir and serves its agents again', {
    timeout: 90_000,
  }, async () => {
    await bootGateway();
    await until(async () => expect((await github('/repos/o/r?back')).status).toBe(200), 30_000);
  });
});

describe('partition: the gateway goes on with local state', () => {
  it('proxies while neither side can reach the other, and catches up when the network heals', {
    timeout: 90_000,
  }, async () => {
    toControl.cut();
    toGateway.cut();
    await until(async () => {
      expect((await health(gatewayUrl())).control_plane?.status).toBe('unreachable');
      expect((await health(controlUrl())).gateways?.[0]?.status).toBe('unreachable');
    });
    for (let i = 0; i < 3; i++) {
      const r = await github(`/repos/o/r?partition-${i}`);
      expect(r.status).toBe(200);
      expect(injected(r.body)).toBe(`Bearer ${TOKEN}`);
    }
    // The control plane keeps serving its API (and says what it cannot do).
    expect((await cli(['agent', 'list'])).code).toBe(0);
    expect((await cli(['connector', 'set-token', 'github', '--token-stdin'], TOKEN)).stderr).toMatch(
      /cannot be reached/,
    );
    toControl.heal();
    toGateway.heal();
    await until(() => {
      expect(sql(dirs.gateway, 'gateway.db', 'select count(*) from outbox')).toBe(0);
      const c = seedCounts(dirs.gateway, dirs.control);
      expect(c.control).toBe(c.gateway);
    }, 30_000);
    expect(eventsFor('partition-')).toBe(3);
  });
});

describe('control plane restarted during traffic', () => {
  it('answers every request and loses no event (kill -9 and restart)', { timeout: 90_000 }, async () => {
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop || i < 20; i++) statuses.push((await github(`/repos/o/r?restart-${i}`)).status);
    })();
    await until(() => expect(statuses.length).toBeGreaterThanOrEqual(5));
    process.kill(control!.pid, 'SIGKILL');
    await control!.stop();
    control = undefined;
    await until(() => expect(statuses.length).toBeGreaterThanOrEqual(10));
    await bootControl();
    stop = true;
    await traffic;
    expect(statuses.length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await until(() => {
      expect(sql(dirs.gateway, 'gateway.db', 'select count(*) from outbox')).toBe(0);
      const c = seedCounts(dirs.gateway, dirs.control);
      expect(c.control).toBe(c.gateway);
    }, 30_000);
    expect(eventsFor('restart-')).toBe(statuses.length);
    expect(readFileSync(gatewayCa, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });
});
