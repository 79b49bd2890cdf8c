// A probe that already held (issue 9), kept so it keeps holding: unique secrets are planted (a
// connector credential and its rotation, the agent's key, and what an agent sends itself: a dummy
// Authorization, a cookie, a query parameter), requests flow through the spawned daemon (both roles,
// debug logging), and then every byte that leaves or stays is searched: every file of the data dir
// (the databases with their -wal and -shm files, while running and after stop), the daemon's log
// output, every GET answer the /v1 API lists in its OpenAPI document, /health and /metrics of both
// roles, and everything the CLI printed.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, eventually, json } from '../cli/cli-harness.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';

const run = promisify(execFile);
const mark = (what: string) => `${what}_PLANTED_${randomBytes(12).toString('hex')}`;
const CONNECTOR_SECRET = mark('ghp');
const ROTATED_SECRET = mark('ghp_rotated');
const DUMMY = mark('dummy');
const COOKIE = mark('cookie');
const QUERY = mark('query');

let work: string;
let upstream: FakeUpstream;
let server: RunningServer<import('node:https').Server>;
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let agentKey: string;
let token: string;
/** Everything the CLI printed, except the one answer that hands out the agent key. */
const printed: string[] = [];

async function ok(args: string[], opts: Parameters<ReturnType<typeof cliFor>>[1] = {}) {
  const r = await cli(args, opts);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  printed.push(r.stdout, r.stderr);
  return r;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-secrets-'));
  const ca = await createTestCa();
  writeFileSync(join(work, 'upstream-ca.pem'), ca.certPem);
  upstream = createFakeUpstream('api.github.com');
  server = await startHttpsServer(upstream.handler, { hosts: ['api.github.com'], ca });
  // A data dir of our own, kept on stop, so it can be searched again after the WAL is checkpointed.
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  daemon = await startDaemonProcess({
    dataDir,
    args: [
      '--upstream-ca',
      join(work, 'upstream-ca.pem'),
      '--connect-to',
      `api.github.com:443:127.0.0.1:${server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
    env: { TAMEFLARE_LOG_LEVEL: 'debug' },
  });
  cli = cliFor(daemon);
  token = readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim();
  const added = await cli(['agent', 'add', 'sweep-bot', '--json']);
  expect(added.code, added.stderr).toBe(0);
  agentKey = json<{ key: string }>(added).key;
  await ok(['connector', 'add', 'github', '--token-stdin'], { input: CONNECTOR_SECRET });
  await ok(['permissions', 'preset', '--agent', 'sweep-bot', '--connector', 'github', 'allow-all']);
  await ok([
    'permissions',
    'set',
    '--agent',
    'sweep-bot',
    '--connector',
    'github',
    '--action',
    'github.repo.delete',
    '--decision',
    'deny',
  ]);
  writeFileSync(join(work, 'ca.pem'), readFileSync(join(daemon.dataDir, 'ca.crt')));
}, 90_000);

afterAll(async () => {
  await daemon?.stop();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function curl(...args: string[]) {
  const proxy = `http://sweep-bot:${agentKey}@127.0.0.1:${new URL(daemon.gatewayUrl).port}`;
  return run('curl', ['-sS', '--cacert', join(work, 'ca.pem'), '-x', proxy, ...args]);
}

/** Every file under `dir`, read whole. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** Where each planted secret (or, for credentials, all of it but the last four shown by design) occurs. */
function leaks(where: string, bytes: Buffer | string): string[] {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const probes: Record<string, string> = {
    'connector credential': CONNECTOR_SECRET.slice(0, -4),
    'rotated credential': ROTATED_SECRET.slice(0, -4),
    'agent key': agentKey.slice(0, -4),
    'agent dummy Authorization': DUMMY,
    cookie: COOKIE,
    'query secret': QUERY,
  };
  return Object.entries(probes)
    .filter(([, probe]) => buf.includes(probe))
    .map(([what]) => `${what} in ${where}`);
}

describe('planted secrets', () => {
  it('requests flow: allowed (credential injected), denied, cleartext refused, and a rotation', async () => {
    const { stdout } = await curl(
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      '-H',
      `Cookie: session=${COOKIE}`,
      `https://api.github.com/repos/octo/sweep?access_token=${QUERY}&page=2`,
    );
    expect(JSON.parse(stdout)).toMatchObject({ upstream: 'api.github.com' });
    const seen = upstream.seen.find((s) => s.url.startsWith('/repos/octo/sweep'));
    expect(seen?.headers.authorization).toBe(`Bearer ${CONNECTOR_SECRET}`);
    const denied = await curl(
      '-X',
      'DELETE',
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      'https://api.github.com/repos/octo/sweep',
    );
    expect(JSON.parse(denied.stdout)).toMatchObject({ code: 'permission_denied' });
    const cleartext = await curl(`http://api.github.com/repos/octo/sweep?access_token=${QUERY}`);
    expect(JSON.parse(cleartext.stdout)).toMatchObject({ code: 'insecure_transport' });
    await ok(['connector', 'set-token', 'github', '--token-env', 'ROTATED'], {
      env: { ROTATED: ROTATED_SECRET },
    });
    await eventually(
      () =>
        curl('https://api.github.com/repos/octo/rotated').then(
          () => upstream.seen.at(-1)?.headers.authorization,
        ),
      (auth) => auth === `Bearer ${ROTATED_SECRET}`,
      'the rotated credential is injected',
    );
    // The traffic reaches the control plane (its audit ledger and /v1/traffic) before the sweep.
    await eventually(
      () => ok(['logs', '--json', '--last', '50']).then((r) => r.stdout),
      (out) => out.includes('/repos/octo/sweep'),
      'the requests are in the traffic log',
    );
  }, 60_000);

  it('appear in no /v1 answer, no /health or /metrics, and nothing the CLI printed', async () => {
    const spec = (await (await fetch(`${daemon.controlUrl}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    // Path parameters are filled with what exists here; a path whose parameter names nothing here (a
    // policy: none is configured) would only answer 404, so it is left out.
    const fill: Record<string, string> = { '{name}': 'sweep-bot', '{type}': 'github' };
    const urls: string[] = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      // The API's reads (the document also lists /health, /metrics and the gateway link, swept below or not readable with a token).
      if (!('get' in ops) || !path.startsWith('/v1/') || path.startsWith('/v1/policies/')) continue;
      // A gateway is named by its own name (this daemon's is `default`), not an agent's.
      const names = path.startsWith('/v1/gateways/') ? { ...fill, '{name}': 'default' } : fill;
      const url = path.replace(/\{\w+\}/g, (p) => names[p] ?? p);
      if (!url.includes('{')) urls.push(url.startsWith('/v1') ? url : `/v1${url}`);
    }
    expect(urls).toContain('/v1/connectors');
    expect(urls).toContain('/v1/agents/sweep-bot');
    urls.push('/v1/traffic?last=1000', '/v1/config/export?format=yaml', '/v1/config/export?format=json');
    const found: string[] = [];
    for (const url of urls) {
      // A live event stream never ends: its first event (the pending approvals) is what it answers.
      const live = url.endsWith('/stream');
      const res = await fetch(`${daemon.controlUrl}${url}`, {
        headers: { authorization: `Bearer ${token}`, ...(live ? { accept: 'text/event-stream' } : {}) },
      });
      expect(res.status, url).toBe(200);
      if (live) {
        const reader = res.body!.getReader();
        const first = await reader.read();
        await reader.cancel();
        found.push(...leaks(`GET ${url}`, new TextDecoder().decode(first.value)));
        continue;
      }
      found.push(...leaks(`GET ${url}`, await res.text()));
    }
    for (const base of [daemon.controlUrl, daemon.gatewayUrl]) {
      for (const path of ['/health', '/metrics']) {
        found.push(...leaks(`${base}${path}`, await (await fetch(`${base}${path}`)).text()));
      }
    }
    found.push(...leaks('CLI output', printed.join('\n')));
    expect(found).toEqual([]);
  });

  it('appear in no file of the data dir (databases with -wal and -shm) and no log line', async () => {
    const files = filesUnder(daemon.dataDir);
    expect(files.map((f) => f.path).some((p) => p.endsWith('-wal'))).toBe(true);
    const found = files.flatMap((f) => leaks(f.path, f.bytes));
    found.push(...leaks('daemon logs', daemon.logs()));
    expect(found).toEqual([]);
    // The sweep can see: the upstream received the credential, and the sweep finds it there.
    expect(leaks('upstream', JSON.stringify(upstream.seen))).toContain('rotated credential in upstream');
  });

  it('after stop (WAL checkpointed into the databases), still nowhere', async () => {
    const stopped = await daemon.stop();
    expect(stopped.code).toBe(0);
    const found = filesUnder(daemon.dataDir).flatMap((f) => leaks(f.path, f.bytes));
    found.push(...leaks('daemon logs', daemon.logs()));
    expect(found).toEqual([]);
  });
});
