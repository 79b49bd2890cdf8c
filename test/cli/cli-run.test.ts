// `tameflare run` against a real daemon: exit codes and signals pass through, the child holds a
// session key and none of the operator's secrets, and the key stops working when the child is gone.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type DaemonProcess, minimalEnv, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { cliFor, eventually, proxyStatus } from './cli-harness.js';

let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let agentKey: string;
/** Any host: no connector covers it, so an accepted key gets a decision (403), a refused one 407. */
const TARGET = 'http://no-connector.invalid/';

beforeAll(async () => {
  daemon = await startDaemonProcess();
  cli = cliFor(daemon);
  const add = await cli(['agent', 'add', 'runner', '--json']);
  expect(add.code, add.stderr).toBe(0);
  agentKey = (JSON.parse(add.stdout) as { key: string }).key;
});

afterAll(async () => {
  await daemon?.stop();
});

const sessionKeyIn = (proxyUrl: string) => /^http:\/\/runner:(tf_sess_[A-Za-z0-9_-]+)@/.exec(proxyUrl)?.[1];

describe('run', () => {
  it('passes the exit code through, with and without --', async () => {
    expect((await cli(['run', '--agent', 'runner', '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await cli(['run', '--agent', 'runner', 'sh', '-c', 'exit 3'])).code).toBe(3);
    expect((await cli(['run', '--agent', 'runner', 'true'])).code).toBe(0);
  });

  it('reports a child killed by a signal as 128 + n', async () => {
    const run = await cli(['run', '--agent', 'runner', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(run.code).toBe(143);
  });

  it('says when the command does not exist (127)', async () => {
    const run = await cli(['run', '--agent', 'runner', '--', 'no-such-command-tf']);
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/^tameflare: command not found: no-such-command-tf$/m);
  });

  it("gives the child the agent's proxy and CA settings and none of the operator's secrets", async () => {
    const run = await cli(['run', '--agent', 'runner', '--', 'env'], {
      env: {
        TAMEFLARE_TOKEN: readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim(),
        GATEWAY_SERVICE_TOKEN: 'gst-should-not-leak',
        MAINTENANCE_SECRET: 'ms-should-not-leak',
        TAMEFLARE_ADMIN_PASSWORD: 'pw-should-not-leak',
        TAMEFLARE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        KEEP_ME: 'yes',
      },
    });
    expect(run.code, run.stderr).toBe(0);
    const env = Object.fromEntries(
      run.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    for (const name of [
      'TAMEFLARE_TOKEN',
      'GATEWAY_SERVICE_TOKEN',
      'MAINTENANCE_SECRET',
      'TAMEFLARE_ADMIN_PASSWORD',
      'TAMEFLARE_MASTER_KEY',
      'TAMEFLARE_AGENT_KEY',
    ]) {
      expect(env, name).not.toHaveProperty(name);
    }
    expect(run.stdout).not.toMatch(/should-not-leak|tf_pat_/);
    expect(env.KEEP_ME).toBe('yes');
    expect(sessionKeyIn(env.HTTP_PROXY ?? '')).toBeDefined();
    expect(env.https_proxy).toBe(env.HTTP_PROXY);
    expect(env.NODE_EXTRA_CA_CERTS).toBe(join(daemon.dataDir, 'ca.crt'));
    expect(env.CURL_CA_BUNDLE).toBe(join(daemon.dataDir, 'ca-bundle.pem'));
    expect(env.NODE_USE_ENV_PROXY).toBe('1');
    expect(env.NODE_OPTIONS).toMatch(/--require \/\S*preload\.cjs/);
  });

  it('uses a given key (and withholds TAMEFLARE_AGENT_KEY itself)', async () => {
    const run = await cli(
      ['run', '--agent', 'runner', '--', 'sh', '-c', 'printf "%s|%s" "$HTTP_PROXY" "$TAMEFLARE_AGENT_KEY"'],
      {
        env: { TAMEFLARE_AGENT_KEY: agentKey },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^http://runner:${agentKey}@[^|]+\\|$`));
  });

  it('the session key works while the child runs and is revoked when it exits', async () => {
    const dir = daemon.dataDir;
    const script = join(dir, 'probe.mjs');
    // A raw socket, so no proxy support in the child's libraries is involved: the status the gateway
    // gives this session key while the child is alive.
    writeFileSync(
      script,
      `import { connect } from 'node:net';
const u = new URL(process.env.HTTP_PROXY);
const auth = Buffer.from(decodeURIComponent(u.username) + ':' + decodeURIComponent(u.password)).toString('base64');
const probe = () => new Promise((resolve, reject) => {
  const s = connect({ host: u.hostname, port: Number(u.port) }, () =>
    s.write('GET ${TARGET} HTTP/1.1\\r\\nHost: no-connector.invalid\\r\\nProxy-Authorization: Basic ' + auth + '\\r\\nConnection: close\\r\\n\\r\\n'));
  let head = '';
  s.on('data', (c) => { head += c; const m = /^HTTP\\/1\\.[01] (\\d{3})/.exec(head); if (m) { resolve(Number(m[1])); s.destroy(); } });
  s.on('error', reject);
});
let status = await probe();
// The gateway hears of a new key from the control plane; give it a moment, as an agent would retry.
for (let i = 0; i < 100 && status === 407; i++) { await new Promise((r) => setTimeout(r, 100)); status = await probe(); }
process.stdout.write(JSON.stringify({ proxy: process.env.HTTP_PROXY, status }));
`,
    );
    const run = await cli(['run', '--agent', 'runner', '--', process.execPath, script]);
    expect(run.code, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout) as { proxy: string; status: number };
    expect(sessionKeyIn(seen.proxy)).toBeDefined();
    expect(seen.status).not.toBe(407);
    expect(run.stderr).not.toMatch(/could not revoke/);
    await eventually(
      () => proxyStatus(seen.proxy, TARGET),
      (s) => s === 407,
      'the revoked session key still works',
    );
  });

  it('revokes the key when it is stopped by a signal, and exits as the child did', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--agent', 'runner', '--', 'sh', '-c', 'printf "%s\\n" "$HTTP_PROXY"; exec sleep 30'],
      {
        env: minimalEnv({ TAMEFLARE_URL: daemon.controlUrl, TAMEFLARE_DATA_DIR: daemon.dataDir }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const proxy = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('\n')) resolve(stdout.trim());
      });
      child.once('exit', () => reject(new Error(`run exited early: ${stderr}`)));
    });
    expect(sessionKeyIn(proxy)).toBeDefined();
    await eventually(
      () => proxyStatus(proxy, TARGET),
      (s) => s !== 407,
      'the session key is refused',
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).not.toMatch(/could not revoke/);
    await eventually(
      () => proxyStatus(proxy, TARGET),
      (s) => s === 407,
      'the revoked session key still works',
    );
  });
});

describe('logs --follow', () => {
  it('streams new traffic as JSON lines and ends with exit 0 on Ctrl-C', async () => {
    const host = `follow-${Date.now()}.invalid`;
    const child = spawn(process.execPath, [BIN, 'logs', '--follow', '--json', '--agent', 'runner'], {
      env: minimalEnv({ TAMEFLARE_URL: daemon.controlUrl, TAMEFLARE_DATA_DIR: daemon.dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const seen = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes(host)) resolve();
      });
      void exited.then(() => reject(new Error(`logs --follow exited early: ${stderr}`)));
    });
    const gw = new URL(daemon.gatewayUrl);
    // Whether this lands in the first page or a later poll, it must come out.
    expect(await proxyStatus(`http://runner:${agentKey}@${gw.host}`, `http://${host}/`)).toBe(403);
    await seen;
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ agent: 'runner' });
    expect(lines.map((l) => JSON.parse(l) as { host: string }).filter((e) => e.host === host)).toHaveLength(
      1,
    );
  });
});
