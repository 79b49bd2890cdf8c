// The CLI's management commands against a real daemon (the built executable, port 0, temp data dir).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type CliRun, cliFor, eventually, json, proxyStatus } from './cli-harness.js';

let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
/** Every byte the CLI printed in this file, to grep for secrets at the end. */
const printed: string[] = [];

async function ok(args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<CliRun> {
  const run = await cli(args, opts);
  printed.push(run.stdout, run.stderr);
  expect(run.code, `tameflare ${args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
  return run;
}

async function fails(args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<CliRun> {
  const run = await cli(args, opts);
  printed.push(run.stdout, run.stderr);
  expect(run.code, `tameflare ${args.join(' ')} should fail\nstdout: ${run.stdout}`).not.toBe(0);
  expect(run.stderr.trimEnd().split('\n')[0]).toMatch(/^tameflare: /);
  return run;
}

beforeAll(async () => {
  daemon = await startDaemonProcess();
  cli = cliFor(daemon);
});

afterAll(async () => {
  await daemon?.stop();
});

describe('agent', () => {
  let key: string;

  it('add prints the key once, with the proxy URLs and the environment to copy', async () => {
    const run = await ok(['agent', 'add', 'bot', '--label', 'team=infra', '--label', 'env=test']);
    const m = /\n {2}(tf_agent_[A-Za-z0-9_-]+)\n/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    key = m![1]!;
    expect(run.stdout).toMatch(/shown once; it cannot be shown again/);
    const gw = new URL(daemon.gatewayUrl);
    expect(run.stdout).toContain(`Proxy URL:          http://bot:${key}@${gw.hostname}:${gw.port}`);
    expect(run.stdout).toMatch(new RegExp(`Dedicated port URL: http://bot:${key}@${gw.hostname}:\\d+`));
    expect(run.stdout).toContain(`export HTTPS_PROXY='http://bot:${key}@${gw.hostname}:${gw.port}'`);
    expect(run.stdout).toContain(`export NODE_EXTRA_CA_CERTS='${join(daemon.dataDir, 'ca.crt')}'`);
  });

  it('the printed key works as proxy credentials', async () => {
    const gw = new URL(daemon.gatewayUrl);
    // The gateway learns of new agents from the control plane, asynchronously.
    await eventually(
      () => proxyStatus(`http://bot:${key}@${gw.host}`, 'http://no-connector.invalid/'),
      (status) => status !== 407,
      'the new agent key is refused',
    );
    expect(await proxyStatus(`http://bot:tf_agent_wrong@${gw.host}`, 'http://no-connector.invalid/')).toBe(
      407,
    );
  });

  it('list and show never show a key', async () => {
    const list = await ok(['agent', 'list']);
    expect(list.stdout).toMatch(/^NAME +STATUS +MODE +PORT +PROXY AUTH +GATEWAY +LABELS\n/);
    expect(list.stdout).toMatch(/\nbot +active +enforce +\d+ +yes +default +team=infra,env=test\n/);
    const listJson = await ok(['agent', 'list', '--json']);
    expect(json<{ agents: { name: string }[] }>(listJson).agents.map((a) => a.name)).toContain('bot');
    const show = await ok(['agent', 'show', 'bot']);
    expect(show.stdout).toMatch(/^name +bot$/m);
    for (const run of [list, listJson, show, await ok(['agent', 'show', 'bot', '--json'])]) {
      expect(run.stdout + run.stderr).not.toContain(key);
      expect(run.stdout + run.stderr).not.toMatch(/tf_agent_/);
    }
  });

  it('add --json gives {agent, key, proxy_url}', async () => {
    const run = await ok(['agent', 'add', 'scripted', '--mode', 'monitor', '--no-proxy-auth', '--json']);
    const body = json<{
      agent: { name: string; mode: string; proxy_auth: boolean };
      key: string;
      proxy_url: string;
    }>(run);
    expect(body.agent).toMatchObject({ name: 'scripted', mode: 'monitor', proxy_auth: false });
    expect(body.key).toMatch(/^tf_agent_/);
    expect(body.proxy_url).toBe(`http://scripted:${body.key}@${new URL(daemon.gatewayUrl).host}`);
    expect(run.stderr).toMatch(/shown once/);
  });

  it('suspend, resume, rotate-key and remove', async () => {
    expect((await ok(['agent', 'suspend', 'scripted'])).stdout).toBe('agent scripted suspended\n');
    expect(
      json<{ agent: { status: string } }>(await ok(['agent', 'show', 'scripted', '--json'])).agent.status,
    ).toBe('suspended');
    expect((await ok(['agent', 'resume', 'scripted'])).stdout).toBe('agent scripted resumed\n');
    const rotated = json<{ key: string }>(await ok(['agent', 'rotate-key', 'scripted', '--json']));
    expect(rotated.key).toMatch(/^tf_agent_/);
    expect((await ok(['agent', 'remove', 'scripted'])).stdout).toBe('agent scripted removed\n');
    const gone = await fails(['agent', 'show', 'scripted']);
    expect(gone.code).toBe(1);
    // The problem's `detail` and its code, not the compatibility `message` ("Not found: …").
    expect(gone.stderr).toBe('tameflare: no agent named scripted (not_found)\n');
  });

  it('a duplicate name is one clear line', async () => {
    const run = await fails(['agent', 'add', 'bot']);
    expect(run.stderr).toBe('tameflare: an agent named bot already exists (conflict)\n');
  });
});

describe('connector', () => {
  const secret = 'tf-test-connector-secret-7Q9xZ';

  it('add --token-stdin stores the token and never prints it', async () => {
    const run = await ok(
      [
        'connector',
        'add',
        'generic',
        '--name',
        'internal',
        '--domains',
        'api.internal.test',
        '--auth',
        'bearer',
        '--token-stdin',
      ],
      { input: `${secret}\n` },
    );
    expect(run.stdout).toMatch(
      /^connector internal \(generic\) added: domains api\.internal\.test; credential set/,
    );
    const list = json<{
      connectors: { name: string; credential_set: boolean; credential_last4: string | null }[];
    }>(await ok(['connector', 'list', '--json']));
    expect(list.connectors.find((c) => c.name === 'internal')).toMatchObject({
      credential_set: true,
      credential_last4: secret.slice(-4),
    });
    const table = await ok(['connector', 'list']);
    expect(table.stdout).toMatch(
      /\ninternal +generic +bearer +set \(…Q9xZ\) +yes +default +api\.internal\.test\n/,
    );
  });

  it('set-token --token-env replaces it, again without printing it', async () => {
    const run = await ok(['connector', 'set-token', 'internal', '--token-env', 'MY_CONNECTOR_TOKEN'], {
      env: { MY_CONNECTOR_TOKEN: `${secret}-rotated` },
    });
    expect(run.stdout).toMatch(/^connector internal: credential set/);
  });

  it('refuses --token with a secret and an empty stdin', async () => {
    const byFlag = await cli([
      'connector',
      'add',
      'generic',
      '--name',
      'leaky',
      '--domains',
      'x.test',
      '--token',
      secret,
    ]);
    printed.push(byFlag.stdout, byFlag.stderr);
    expect(byFlag.code).toBe(2);
    const empty = await fails(
      ['connector', 'add', 'generic', '--name', 'empty', '--domains', 'x.test', '--token-stdin'],
      {
        input: '\n',
      },
    );
    expect(empty.stderr).toMatch(/empty/);
    const names = json<{ connectors: { name: string }[] }>(
      await ok(['connector', 'list', '--json']),
    ).connectors.map((c) => c.name);
    expect(names).not.toContain('leaky');
    expect(names).not.toContain('empty');
  });

  it('actions lists method, path, risk and params', async () => {
    const table = await ok(['connector', 'actions', 'github']);
    expect(table.stdout).toMatch(/^ACTION +METHOD +PATH +RISK +PARAMS\n/);
    expect(table.stdout).toMatch(/\ngithub\.pr\.merge +PUT +\/repos\/\S+ +high/);
    const body = json<{
      actions: { action: string; method: string; path: string; risk: string; params: string[] }[];
    }>(await ok(['connector', 'actions', 'github', '--json']));
    expect(body.actions.length).toBeGreaterThan(20);
    expect(body.actions[0]).toEqual(
      expect.objectContaining({
        action: expect.any(String),
        method: expect.any(String),
        risk: expect.any(String),
      }),
    );
  });

  it('remove', async () => {
    await ok(['connector', 'add', 'generic', '--name', 'temp', '--domains', 'temp.test']);
    expect((await ok(['connector', 'remove', 'temp'])).stdout).toBe('connector temp removed\n');
  });
});

describe('permissions', () => {
  it('set, list, remove and preset', async () => {
    const set = json<{ permission: { id: number; decision: string } }>(
      await ok([
        'permissions',
        'set',
        '--agent',
        'bot',
        '--connector',
        'internal',
        '--action',
        'generic.http.get',
        '--decision',
        'allow',
        '--json',
      ]),
    );
    expect(set.permission.decision).toBe('allow');
    const list = await ok(['permissions', 'list', '--agent', 'bot']);
    expect(list.stdout).toMatch(/^ID +AGENT +CONNECTOR +ACTION +DECISION +CREATED\n/);
    expect(list.stdout).toMatch(
      new RegExp(`\\n +${set.permission.id} +bot +internal +generic\\.http\\.get +allow +`),
    );
    expect((await ok(['permissions', 'remove', String(set.permission.id)])).stdout).toBe(
      `permission ${set.permission.id} removed\n`,
    );
    expect((await ok(['permissions', 'list', '--agent', 'bot'])).stdout).toMatch(/^no permissions for bot/);
    const preset = json<{ permissions: { decision: string }[] }>(
      await ok(['permissions', 'preset', '--agent', 'bot', '--connector', 'internal', 'allow-all', '--json']),
    );
    expect(preset.permissions.length).toBeGreaterThan(0);
    expect(preset.permissions.every((p) => p.decision === 'allow')).toBe(true);
    await fails(['permissions', 'remove', '999999']);
  });
});

describe('kill-switch', () => {
  it('activates, reports and deactivates', async () => {
    expect((await ok(['kill-switch', '--status'])).stdout).toMatch(/^kill switch: off/);
    const on = await ok(['kill-switch', '--activate', '--scope', 'agent:bot', '--reason', 'cli test']);
    expect(on.stdout).toMatch(
      /^kill switch: ON for agent:bot\nSCOPE +SINCE +BY +REASON\nagent:bot +\S+ +\S.* +cli test\n/,
    );
    const status = json<{ active: { scope: string; reason: string }[] }>(
      await ok(['kill-switch', '--status', '--json']),
    );
    expect(status.active).toEqual([expect.objectContaining({ scope: 'agent:bot', reason: 'cli test' })]);
    expect((await ok(['kill-switch', '--deactivate', '--scope', 'agent:bot'])).stdout).toMatch(
      /^kill switch: off/,
    );
  });
});

describe('logs', () => {
  it('prints a table, or JSON lines', async () => {
    const table = await ok(['logs', '--last', '10']);
    expect(table.stdout).toMatch(
      /^(no traffic yet\n|TIME \(UTC\) +AGENT +DECISION +STATUS +ACTION +REQUEST +LATENCY +REASON +PARAMS\n)/,
    );
    const lines = (await ok(['logs', '--last', '10', '--json'])).stdout.split('\n').filter((l) => l !== '');
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('id');
  });
});

describe('env', () => {
  it('--format json gives the agent environment with a session key, and says when it expires', async () => {
    const run = await ok(['env', '--agent', 'bot', '--format', 'json']);
    const vars = json<Record<string, string>>(run);
    const gw = new URL(daemon.gatewayUrl);
    expect(vars.HTTPS_PROXY).toMatch(
      new RegExp(`^http://bot:tf_sess_[A-Za-z0-9_-]+@${gw.hostname}:${gw.port}$`),
    );
    expect(vars.http_proxy).toBe(vars.HTTPS_PROXY);
    expect(vars.NODE_EXTRA_CA_CERTS).toBe(join(daemon.dataDir, 'ca.crt'));
    expect(vars.SSL_CERT_FILE).toBe(join(daemon.dataDir, 'ca-bundle.pem'));
    expect(vars.NODE_OPTIONS).toMatch(/--require \/\S*preload\.cjs/);
    const issued =
      /session key (\S+) for bot expires at \d{4}-\d\d-\d\dT.*`tameflare agent revoke-session bot \1`/.exec(
        run.stderr,
      );
    expect(issued, run.stderr).not.toBeNull();
    await eventually(
      () => proxyStatus(vars.HTTPS_PROXY!, 'http://no-connector.invalid/'),
      (status) => status !== 407,
      'the session key is refused',
    );
    // Listed, and revoked on demand: the key stops working.
    const listed = json<{ session_keys: Array<{ id: string }> }>(
      await ok(['agent', 'session-keys', 'bot', '--json']),
    );
    expect(listed.session_keys.map((k) => k.id)).toContain(issued![1]);
    await ok(['agent', 'revoke-session', 'bot', issued![1]!]);
    expect((await ok(['agent', 'session-keys', 'bot'])).stdout).not.toContain(issued![1]);
    await eventually(
      () => proxyStatus(vars.HTTPS_PROXY!, 'http://no-connector.invalid/'),
      (status) => status === 407,
      'the revoked session key still works',
    );
  });

  it('uses a given key instead of issuing one', async () => {
    const run = await ok(['env', '--agent', 'bot', '--format', 'dotenv'], {
      env: { TAMEFLARE_AGENT_KEY: 'tf_agent_given' },
    });
    expect(run.stdout).toMatch(/^HTTP_PROXY=http:\/\/bot:tf_agent_given@/m);
    expect(run.stderr).toBe('');
  });
});

describe('secrets stay out of everything printed', () => {
  it('no connector token in CLI output or daemon logs', () => {
    const all = printed.join('\n') + daemon.logs();
    expect(all).not.toContain('tf-test-connector-secret-7Q9xZ');
  });
});
