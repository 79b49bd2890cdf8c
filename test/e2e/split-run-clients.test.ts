// `run`, `env` and `ca` against a remote gateway: the control plane and the gateway in their own
// processes and data directories (so the gateway has its own CA), and the CLI on a third, empty
// "agent machine" data directory, or on the control plane's own (which holds a CA of its own from
// `init` that no gateway uses: trusting that one is the bug this guards against). Real clients:
// curl, python3 and Node's fetch.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIsolation } from '../../src/agent-env/isolate/isolation-support.js';
import { createCertificateAuthority } from '../../src/gateway/tls/certificate-authority.js';
import { type CliRun, json, runTameflare } from '../cli/cli-harness.js';
import { freePort } from '../helpers/cli-process.js';
import type { DaemonProcess } from '../helpers/spawn-daemon.js';
import { startControl, startGateway, startUpstream, type Upstream, until } from './split-harness.js';

/** `run --isolate` needs user and network namespaces: skipped, with the reason, where they are missing. */
const isolation = await checkIsolation(process.env);

const TOKEN = `ghp_REMOTE_${Date.now().toString(36)}_vaulted`;

let dirs: { control: string; gateway: string; agent: string };
let control: DaemonProcess;
let gateway: DaemonProcess | undefined;
let gatewayPort: number;
let upstream: Upstream;
let operatorToken: string;

/** The CLI on a machine with only a URL and a token (its data dir starts empty). */
const onAgentHost = (args: string[], input?: string) =>
  runTameflare(args, {
    input,
    cwd: dirs.agent,
    env: {
      TAMEFLARE_URL: control.controlUrl,
      TAMEFLARE_TOKEN: operatorToken,
      TAMEFLARE_DATA_DIR: dirs.agent,
    },
  });
/** The CLI on the control plane's host, with its data dir (cli.token, and an unrelated ca.crt). */
const onControlHost = (args: string[], input?: string) =>
  runTameflare(args, { input, env: { TAMEFLARE_URL: control.controlUrl, TAMEFLARE_DATA_DIR: dirs.control } });
const ok = async (run: Promise<CliRun>) => {
  const r = await run;
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};
const gatewayCa = () => readFileSync(join(dirs.gateway, 'ca.crt'), 'utf8');
/** The Authorization header the fake upstream saw last for a path (it echoes what it received). */
const seenAuth = (path: string) =>
  [...upstream.api.seen].reverse().find((s) => s.url.startsWith(path))?.headers.authorization;

beforeAll(async () => {
  dirs = {
    control: mkdtempSync(join(tmpdir(), 'tf-cp-')),
    gateway: mkdtempSync(join(tmpdir(), 'tf-gw-')),
    agent: mkdtempSync(join(tmpdir(), 'tf-agent-host-')),
  };
  upstream = await startUpstream();
  await ok(runTameflare(['init', '--data-dir', dirs.control]));
  operatorToken = readFileSync(join(dirs.control, 'cli.token'), 'utf8').trim();
  control = await startControl({ dataDir: dirs.control, port: await freePort() });
  gatewayPort = await freePort();
  const start = 43_000 + Math.floor(Math.random() * 400) * 20;
  gateway = await startGateway({
    dataDir: dirs.gateway,
    port: gatewayPort,
    controlUrl: control.controlUrl,
    upstream,
    portStart: start,
    portEnd: start + 9,
  });
  await ok(onControlHost(['agent', 'add', 'remote-bot', '--json']));
  await ok(onControlHost(['connector', 'add', 'github', '--token-stdin'], TOKEN));
  await ok(
    onControlHost(['permissions', 'preset', '--agent', 'remote-bot', '--connector', 'github', 'allow-all']),
  );
  await until(async () => {
    const r = await onAgentHost([
      'run',
      '--agent',
      'remote-bot',
      '--',
      'curl',
      '-sSf',
      'https://api.github.com/ready',
    ]);
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await control?.stop();
  await upstream?.close();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
});

describe("the agent's own gateway's CA, through the control plane", () => {
  it("ca pem: the remote gateway's CA, from any machine, not the CLI data dir's own", async () => {
    expect(readFileSync(join(dirs.control, 'ca.crt'), 'utf8')).not.toBe(gatewayCa());
    for (const args of [
      ['ca', 'pem', '--agent', 'remote-bot'],
      ['ca', 'pem', '--gateway', 'default'],
      ['ca', 'pem'],
    ]) {
      expect((await ok(onAgentHost(args))).stdout, args.join(' ')).toBe(gatewayCa());
      expect((await ok(onControlHost(args))).stdout, args.join(' ')).toBe(gatewayCa());
    }
    // Cached, verified copies in the CLI's data dir; --local is the data dir's own.
    expect(readFileSync(join(dirs.agent, 'gateways', 'default', 'ca.crt'), 'utf8')).toBe(gatewayCa());
    expect(readFileSync(join(dirs.agent, 'gateways', 'default', 'ca-bundle.pem'), 'utf8')).toContain(
      gatewayCa().trim(),
    );
    expect((await ok(onControlHost(['ca', 'pem', '--local']))).stdout).toBe(
      readFileSync(join(dirs.control, 'ca.crt'), 'utf8'),
    );
  });

  it('run: curl on the control plane host trusts the gateway, not its own data dir', async () => {
    const r = await ok(
      onControlHost([
        'run',
        '--agent',
        'remote-bot',
        '--',
        'curl',
        '-sS',
        'https://api.github.com/repos/o/r?via=curl',
      ]),
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ upstream: 'api.github.com', method: 'GET' });
    expect(seenAuth('/repos/o/r?via=curl')).toBe(`Bearer ${TOKEN}`);
  });

  it.skipIf(!isolation.available)(
    `run --isolate: curl in namespaces trusts the remote gateway's cached CA, though the data dir is covered${isolation.available ? '' : ` (skipped: ${isolation.reason})`}`,
    async () => {
      const r = await ok(
        onControlHost([
          'run',
          '--isolate',
          '--agent',
          'remote-bot',
          '--',
          'curl',
          '-sS',
          'https://api.github.com/repos/o/r?via=isolated-curl',
        ]),
      );
      expect(JSON.parse(r.stdout)).toMatchObject({ upstream: 'api.github.com', method: 'GET' });
      expect(seenAuth('/repos/o/r?via=isolated-curl')).toBe(`Bearer ${TOKEN}`);
      // The per-run copy outside the data dir is gone with the run.
      expect(readdirSync(tmpdir()).filter((n) => n.startsWith('tameflare-gateway-ca-'))).toEqual([]);
    },
  );

  it('run: python3 and Node fetch on an agent machine', async () => {
    const py = `import urllib.request\nprint(urllib.request.urlopen('https://api.github.com/repos/o/r?via=python').status)`;
    expect(
      (await ok(onAgentHost(['run', '--agent', 'remote-bot', '--', 'python3', '-c', py]))).stdout.trim(),
    ).toBe('200');
    expect(seenAuth('/repos/o/r?via=python')).toBe(`Bearer ${TOKEN}`);
    const js = "const r = await fetch('https://api.github.com/repos/o/r?via=fetch'); console.log(r.status);";
    expect(
      (
        await ok(onAgentHost(['run', '--agent', 'remote-bot', '--', 'node', '--input-type=module', '-e', js]))
      ).stdout.trim(),
    ).toBe('200');
    expect(seenAuth('/repos/o/r?via=fetch')).toBe(`Bearer ${TOKEN}`);
  });

  it('env: the remote proxy address and the cached CA, usable by curl as printed', async () => {
    const vars = json<Record<string, string>>(
      await ok(onAgentHost(['env', '--agent', 'remote-bot', '--format', 'json'])),
    );
    const proxy = new URL(vars.HTTPS_PROXY!);
    expect(proxy.host).toBe(`127.0.0.1:${gatewayPort}`);
    expect(proxy.username).toBe('remote-bot');
    expect(vars.NODE_EXTRA_CA_CERTS).toBe(join(dirs.agent, 'gateways', 'default', 'ca.crt'));
    expect(vars.SSL_CERT_FILE).toBe(join(dirs.agent, 'gateways', 'default', 'ca-bundle.pem'));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        ['-sS', 'https://api.github.com/repos/o/r?via=env'],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...vars }, encoding: 'utf8' },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(out)).toMatchObject({ upstream: 'api.github.com' });
    expect(seenAuth('/repos/o/r?via=env')).toBe(`Bearer ${TOKEN}`);
  });

  it('replaces a cached CA that is not the registered one, and says so', async () => {
    const cached = join(dirs.agent, 'gateways', 'default', 'ca.crt');
    writeFileSync(cached, (await createCertificateAuthority()).certPem);
    const r = await ok(onAgentHost(['ca', 'path', '--agent', 'remote-bot']));
    expect(r.stdout.trim()).toBe(cached);
    expect(r.stderr).toMatch(/gateway default's CA changed .* the cached copy .* is replaced/);
    expect(readFileSync(cached, 'utf8')).toBe(gatewayCa());
  });

  it('refuses a CA that does not match the fingerprint the gateway registered', async () => {
    // Stopped first, so it does not register again meanwhile; then the stored PEM is swapped.
    await gateway!.stop();
    gateway = undefined;
    const other = (await createCertificateAuthority()).certPem.replace(/\n/g, '\\n');
    await new Promise<void>((resolve, reject) =>
      execFile(
        'sqlite3',
        [join(dirs.control, 'local.db'), `UPDATE gateways SET ca_pem = replace('${other}', '\\n', char(10))`],
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    rmSync(join(dirs.agent, 'gateways'), { recursive: true, force: true });
    const r = await onAgentHost(['ca', 'pem', '--gateway', 'default']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /refusing the CA the control plane gave for gateway default: its fingerprint .* is not the registered/,
    );
    expect(r.stdout).toBe('');
    expect(existsSync(join(dirs.agent, 'gateways', 'default', 'ca.crt'))).toBe(false);
  });
});
