// Two gateways on one control plane, three processes and three data directories: each gateway has
// its own agents, connectors and vault. A credential set for east is never injected by west, an
// agent of east is unknown on west, and `gateway list` / `/v1/gateways` / `status` show both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayList } from '../../src/wire/gateways.js';
import { json, runTameflare } from '../cli/cli-harness.js';
import { freePort } from '../helpers/cli-process.js';
import type { DaemonProcess } from '../helpers/spawn-daemon.js';
import {
  curl,
  health,
  SERVICE_TOKEN,
  startControl,
  startGateway,
  startUpstream,
  type Upstream,
  until,
} from './split-harness.js';

const TOKENS = { east: `ghp_EAST_${Date.now().toString(36)}`, west: `ghp_WEST_${Date.now().toString(36)}` };

interface Side {
  dir: string;
  port: number;
  portStart: number;
  daemon: DaemonProcess;
  key: string;
}

let controlDir: string;
let control: DaemonProcess;
let upstream: Upstream;
const sides = {} as Record<'east' | 'west', Side>;

const cli = (args: string[], input?: string) =>
  runTameflare(args, { input, env: { TAMEFLARE_URL: control.controlUrl, TAMEFLARE_DATA_DIR: controlDir } });
const ok = async (args: string[], input?: string) => {
  const r = await cli(args, input);
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
};
const proxy = (agent: string, key: string, side: Side) => `http://${agent}:${key}@127.0.0.1:${side.port}`;
const github = (agent: string, key: string, side: Side, path: string) =>
  curl(proxy(agent, key, side), join(side.dir, 'ca.crt'), `https://api.github.com${path}`);

beforeAll(async () => {
  controlDir = mkdtempSync(join(tmpdir(), 'tf-cp-'));
  upstream = await startUpstream();
  control = await startControl({ dataDir: controlDir, port: await freePort() });
  const base = 42_000 + Math.floor(Math.random() * 200) * 100;
  for (const [i, name] of (['east', 'west'] as const).entries()) {
    const dir = mkdtempSync(join(tmpdir(), `tf-gw-${name}-`));
    const port = await freePort();
    const portStart = base + i * 50;
    const daemon = await startGateway({
      dataDir: dir,
      port,
      controlUrl: control.controlUrl,
      upstream,
      name,
      portStart,
      portEnd: portStart + 9,
    });
    sides[name] = { dir, port, portStart, daemon, key: '' };
  }
  for (const name of ['east', 'west'] as const) {
    const bot = `${name}-bot`;
    sides[name].key = json<{ key: string }>(await ok(['agent', 'add', bot, '--gateway', name, '--json'])).key;
    await ok(
      ['connector', 'add', 'github', '--name', `gh-${name}`, '--gateway', name, '--token-stdin'],
      TOKENS[name],
    );
    await ok(['permissions', 'preset', '--agent', bot, '--connector', `gh-${name}`, 'allow-all']);
  }
  for (const name of ['east', 'west'] as const) {
    await until(
      async () =>
        expect((await github(`${name}-bot`, sides[name].key, sides[name], '/ready')).status).toBe(200),
      30_000,
    );
  }
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(sides)) {
    await s.daemon?.stop();
    rmSync(s.dir, { recursive: true, force: true });
  }
  await control?.stop();
  await upstream?.close();
  if (controlDir) rmSync(controlDir, { recursive: true, force: true });
});

describe('two gateways on one control plane', () => {
  it('lists both: status, version, address, last seen, configuration version, backlog', async () => {
    await until(async () => {
      const { gateways } = json<GatewayList>(await ok(['gateway', 'list', '--json']));
      expect(gateways.map((g) => [g.name, g.status, g.public_url, g.agents, g.connectors])).toEqual([
        ['east', 'connected', `http://127.0.0.1:${sides.east.port}`, 1, 1],
        ['west', 'connected', `http://127.0.0.1:${sides.west.port}`, 1, 1],
      ]);
      for (const g of gateways) {
        expect(g).toMatchObject({ version: expect.any(String), last_seen_at: expect.any(String) });
        expect(g.applied_config_version).toBe(g.config_version);
        expect(g.outbox_backlog).toEqual(expect.any(Number));
      }
    });
    const table = (await ok(['gateway', 'list'])).stdout;
    expect(table).toMatch(
      /^NAME +STATUS +VERSION +ADDRESS +LAST SEEN +CONFIG +BACKLOG +AGENTS +CONNECTORS\n/,
    );
    expect(table).toMatch(/\neast +connected +\S+ +http:\/\/127\.0\.0\.1:\d+ +\S+ +\d+ \/ \d+ +\d+ +1 +1\n/);
    const show = (await ok(['gateway', 'show', 'west'])).stdout;
    expect(show).toMatch(
      new RegExp(`agent ports +${sides.west.portStart}-${sides.west.portStart + 9}, 1 open`),
    );
    const cp = await health(control.controlUrl);
    expect(cp.gateways?.map((g) => `${g.name}:${g.status}`)).toEqual(['east:connected', 'west:connected']);
    const status = await cli(['status']);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout.match(/^gateway .* ok .*connected/gm)).toHaveLength(2);
  });

  it("gives each gateway's agents ports from that gateway's own range", async () => {
    for (const name of ['east', 'west'] as const) {
      const { agent } = json<{ agent: { port: number; gateway: string } }>(
        await ok(['agent', 'show', `${name}-bot`, '--json']),
      );
      expect(agent.gateway).toBe(name);
      expect(agent.port).toBeGreaterThanOrEqual(sides[name].portStart);
      expect(agent.port).toBeLessThanOrEqual(sides[name].portStart + 9);
    }
  });

  it('injects only its own credentials: a token set on east is never injected by west', async () => {
    for (const name of ['east', 'west'] as const) {
      const r = await github(`${name}-bot`, sides[name].key, sides[name], `/repos/o/r?via=${name}`);
      expect(r.status).toBe(200);
      const seen = (JSON.parse(r.body) as { headers: { authorization?: string } }).headers.authorization;
      expect(seen).toBe(`Bearer ${TOKENS[name]}`);
    }
    // Each vault holds only its own gateway's credentials.
    for (const name of ['east', 'west'] as const) {
      const res = await fetch(`http://127.0.0.1:${sides[name].port}/internal/credentials`, {
        headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
      });
      const { credentials } = (await res.json()) as { credentials: { connector: string }[] };
      expect(credentials.map((c) => c.connector)).toEqual([`gh-${name}`]);
    }
    // Nothing of east's configuration exists on west: its connector name is unknown there too.
    const cross = await cli([
      'permissions',
      'set',
      '--agent',
      'west-bot',
      '--connector',
      'gh-east',
      '--action',
      '*',
      '--decision',
      'allow',
    ]);
    expect(cross.code).toBe(1);
    expect(cross.stderr).toMatch(/no connector named gh-east on the agent's gateway/);
  });

  it('an agent of east is unknown on west (and the other way round)', async () => {
    for (const [agent, key, side] of [
      ['east-bot', sides.east.key, sides.west],
      ['west-bot', sides.west.key, sides.east],
    ] as const) {
      const err = await github(agent, key, side, '/repos/o/r').then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(err).toMatch(/407/);
    }
  });

  it('refuses to guess the gateway of a new agent or connector', async () => {
    const agent = await cli(['agent', 'add', 'nowhere']);
    expect(agent.code).toBe(1);
    expect(agent.stderr).toMatch(
      /several gateways are registered \(east, west\): say which with --gateway NAME/,
    );
    const connector = await cli(['connector', 'add', 'openai']);
    expect(connector.code).toBe(1);
    expect(connector.stderr).toMatch(/several gateways are registered/);
  });

  it('forgets a stopped gateway on request, leaving the other untouched', async () => {
    await sides.west.daemon.stop();
    await until(async () => {
      const { gateways } = json<GatewayList>(await ok(['gateway', 'list', '--json']));
      expect(gateways.find((g) => g.name === 'west')?.status).toBe('unreachable');
    });
    const refused = await cli(['gateway', 'remove', 'west']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/still has 1 agent\(s\) and 1 connector\(s\).*--force/);
    expect((await ok(['gateway', 'remove', 'west', '--force'])).stdout).toMatch(
      /gateway west removed with 1 agent\(s\) and 1 connector\(s\)/,
    );
    const { gateways } = json<GatewayList>(await ok(['gateway', 'list', '--json']));
    expect(gateways.map((g) => g.name)).toEqual(['east']);
    expect((await github('east-bot', sides.east.key, sides.east, '/repos/o/r?after')).status).toBe(200);
    // With one gateway left, it is the default again.
    expect(
      json<{ agent: { gateway: string } }>(await ok(['agent', 'add', 'solo', '--json'])).agent.gateway,
    ).toBe('east');
  });
});
