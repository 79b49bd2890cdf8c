// docs/compose-split.yaml starts the split pair: its two services carry the seed's variables the way
// docs/deployment.md says, and the environment it gives each service, run as two processes here
// (service names become loopback addresses, fixed ports become free ones), makes a working pair.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { GatewayList } from '../../src/wire/gateways.js';
import { json, runTameflare } from '../cli/cli-harness.js';
import { freePort } from '../helpers/cli-process.js';
import { type DaemonProcess, REPO_ROOT, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { SERVICE_TOKEN, until } from './split-harness.js';

interface Service {
  image: string;
  build: { context: string; dockerfile: string };
  environment: Record<string, string>;
  command: string[];
  ports: string[];
  volumes: string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docs', 'compose-split.yaml'), 'utf8'), {
  merge: true,
}) as { services: Record<'control' | 'gateway', Service>; volumes: Record<string, unknown> };

/** Compose's `${VAR:?message}` and `${VAR:-default}`, from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (vars[name] !== undefined) return vars[name]!;
    if (op === '-') return arg ?? '';
    throw new Error(`compose would stop: ${name} is unset (${arg})`);
  });
}

const dirs: string[] = [];
const daemons: DaemonProcess[] = [];
afterAll(async () => {
  for (const d of daemons) await d.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('docs/compose-split.yaml', () => {
  const { control, gateway } = compose.services;

  it("gives each role the seed's variables, its own volume, and publishes the agent port range", () => {
    expect(control.environment).toMatchObject({
      TAMEFLARE_ROLE: 'control',
      GATEWAY_URL: 'http://gateway:9443',
    });
    expect(gateway.environment).toMatchObject({
      TAMEFLARE_ROLE: 'gateway',
      CONTROL_PLANE_URL: 'http://control:3000',
    });
    expect(control.environment.GATEWAY_SERVICE_TOKEN).toBe(gateway.environment.GATEWAY_SERVICE_TOKEN);
    expect(() => interpolate(control.environment.GATEWAY_SERVICE_TOKEN!, {})).toThrow(
      /GATEWAY_SERVICE_TOKEN is unset/,
    );
    expect(control.volumes).not.toEqual(gateway.volumes);
    expect(Object.keys(compose.volumes)).toHaveLength(2);
    const { TAMEFLARE_AGENT_PORT_START: start, TAMEFLARE_AGENT_PORT_END: end } = gateway.environment;
    expect(gateway.ports).toContain(`${start}-${end}:${start}-${end}`);
    expect(gateway.ports).toContain('9443:9443');
    expect(control.ports).toEqual(['3000:3000']);
    // Same image for both, built from the repository's Dockerfile.
    expect(control.image).toBe(gateway.image);
    expect(control.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
  });

  it('starts a working pair with the environment it gives each service', async () => {
    const ports = { control: await freePort(), gateway: await freePort() };
    const agentStart = 44_000 + Math.floor(Math.random() * 400) * 20;
    const vars = { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN };
    const envOf = (s: Service) => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.environment)) {
        env[k] = interpolate(v, vars)
          .replace('http://control:3000', `http://127.0.0.1:${ports.control}`)
          .replace('http://gateway:9443', `http://127.0.0.1:${ports.gateway}`)
          .replace('http://127.0.0.1:9443', `http://127.0.0.1:${ports.gateway}`);
      }
      return env;
    };
    const start = async (s: Service, args: string[]) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tf-compose-'));
      dirs.push(dataDir);
      // The image's command and environment; the helper's own flags only move the ports.
      const d = await startDaemonProcess({ dataDir, env: envOf(s), args: [...s.command.slice(1), ...args] });
      daemons.push(d);
      return d;
    };
    expect(control.command).toEqual(['serve']);
    const cp = await start(control, ['--port', String(ports.control)]);
    await start(gateway, [
      '--gateway-port',
      String(ports.gateway),
      '--agent-port-start',
      String(agentStart),
      '--agent-port-end',
      String(agentStart + 19),
    ]);
    const cli = (args: string[]) =>
      runTameflare(args, { env: { TAMEFLARE_URL: cp.controlUrl, TAMEFLARE_DATA_DIR: cp.dataDir } });
    await until(async () => {
      const { gateways } = json<GatewayList>(await cli(['gateway', 'list', '--json']));
      expect(gateways).toEqual([
        expect.objectContaining({
          name: 'default',
          status: 'connected',
          public_url: `http://127.0.0.1:${ports.gateway}`,
        }),
      ]);
    }, 30_000);
    // The control plane reaches the gateway through GATEWAY_URL: a credential lands in its vault.
    const add = await runTameflare(['connector', 'add', 'openai', '--token-stdin'], {
      input: 'sk-compose-test-0123456789',
      env: { TAMEFLARE_URL: cp.controlUrl, TAMEFLARE_DATA_DIR: cp.dataDir },
    });
    expect(add.code, add.stderr).toBe(0);
    const vault = await fetch(`http://127.0.0.1:${ports.gateway}/internal/credentials`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
    expect(((await vault.json()) as { credentials: { connector: string }[] }).credentials).toEqual([
      expect.objectContaining({ connector: 'openai' }),
    ]);
    // Two daemons started in series (each may take its helper's 20 s ready wait) and a 30 s wait for
    // the link: the test's own budget covers its waits (the default 30 s did not, and ran out at load 32).
  }, 120_000);
});
