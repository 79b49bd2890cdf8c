// The promise to a user, end to end: the spawned daemon, the CLI, and unmodified real clients
// (curl, python3, Node's global fetch and node:https, git) started by `tameflare run`, reaching a
// local fake api.github.com / github.com with the real credential injected and the agent's dummy gone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../cli/cli-harness.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { type GitServer, startGitServer } from '../helpers/git-http-server.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';

const TOKEN = `ghp_E2E_PLANTED_${Date.now().toString(36)}abcdef`;
const DUMMY = 'dummy-token-held-by-the-agent';

let work: string;
let api: FakeUpstream;
let apiServer: RunningServer<import('node:https').Server>;
let git: GitServer;
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-e2e-'));
  const ca = await createTestCa();
  writeFileSync(join(work, 'upstream-ca.pem'), ca.certPem);
  api = createFakeUpstream('api.github.com');
  apiServer = await startHttpsServer(api.handler, { hosts: ['api.github.com'], ca });
  git = await startGitServer({
    ca,
    hosts: ['github.com'],
    owner: 'octo',
    repo: 'hello',
    content: 'hello from git\n',
  });
  daemon = await startDaemonProcess({
    args: [
      '--upstream-ca',
      join(work, 'upstream-ca.pem'),
      '--connect-to',
      `api.github.com:443:127.0.0.1:${apiServer.port}`,
      '--connect-to',
      `github.com:443:127.0.0.1:${git.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
  });
  cli = cliFor(daemon);
  expect((await cli(['agent', 'add', 'e2e-bot', '--json'])).code).toBe(0);
  const add = await cli(['connector', 'add', 'github', '--token-stdin'], { input: `${TOKEN}\n` });
  expect(add.code, add.stderr).toBe(0);
  expect(
    (await cli(['permissions', 'preset', '--agent', 'e2e-bot', '--connector', 'github', 'allow-all'])).code,
  ).toBe(0);
  expect(
    (
      await cli([
        'permissions',
        'set',
        '--agent',
        'e2e-bot',
        '--connector',
        'github',
        '--action',
        'github.repo.delete',
        '--decision',
        'deny',
      ])
    ).code,
  ).toBe(0);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await apiServer?.close();
  await git?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs a command under `tameflare run --agent e2e-bot` and returns its stdout (failing with stderr). */
async function underRun(args: string[]): Promise<string> {
  const r = await cli(['run', '--agent', 'e2e-bot', '--', ...args], { cwd: work });
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

function lastSeen(path: string) {
  const hit = [...api.seen].reverse().find((s) => s.url.startsWith(path));
  expect(hit, `the upstream never saw ${path}`).toBeDefined();
  return hit!;
}

describe('real clients under tameflare run', () => {
  it('curl', async () => {
    const out = await underRun([
      'curl',
      '-sS',
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      'https://api.github.com/repos/octo/hello?via=curl',
    ]);
    expect(JSON.parse(out)).toMatchObject({ upstream: 'api.github.com', method: 'GET' });
    const seen = lastSeen('/repos/octo/hello?via=curl');
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.stringify(seen.rawHeaders)).not.toContain(DUMMY);
  });

  it('python3 urllib.request', async () => {
    const code = `import urllib.request\nreq = urllib.request.Request('https://api.github.com/repos/octo/hello?via=python', headers={'Authorization': 'token ${DUMMY}'})\nprint(urllib.request.urlopen(req).status)`;
    expect((await underRun(['python3', '-c', code])).trim()).toBe('200');
    expect(lastSeen('/repos/octo/hello?via=python').headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("Node 20's global fetch and node:https", async () => {
    const js = `const r = await fetch('https://api.github.com/repos/octo/hello?via=fetch', { headers: { authorization: 'Bearer ${DUMMY}' } });
console.log(r.status);
const https = await import('node:https');
await new Promise((ok, fail) => https.get('https://api.github.com/repos/octo/hello?via=https', (res) => { console.log(res.statusCode); res.resume(); res.on('end', ok); }).on('error', fail));`;
    expect((await underRun(['node', '--input-type=module', '-e', js])).trim().split('\n')).toEqual([
      '200',
      '200',
    ]);
    expect(lastSeen('/repos/octo/hello?via=fetch').headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(lastSeen('/repos/octo/hello?via=https').headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('git clone over HTTPS', async () => {
    await underRun(['git', 'clone', '-q', 'https://github.com/octo/hello.git', join(work, 'clone')]);
    expect(readFileSync(join(work, 'clone', 'README.md'), 'utf8')).toBe('hello from git\n');
    expect(git.authorizations.filter(Boolean).every((a) => a === `Bearer ${TOKEN}`)).toBe(true);
    expect(git.authorizations.some((a) => a === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('a denied action reaches the agent as problem+json and never the upstream', async () => {
    const before = api.seen.length;
    const out = await underRun(['curl', '-sS', '-X', 'DELETE', 'https://api.github.com/repos/octo/hello']);
    expect(JSON.parse(out)).toMatchObject({
      status: 403,
      code: 'permission_denied',
      action: 'github.repo.delete',
      agent: 'e2e-bot',
    });
    expect(api.seen.length).toBe(before);
  });

  it('records every request and never writes the credential anywhere', async () => {
    const logs = await cli(['logs', '--last', '50', '--json']);
    const entries = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; decision: string });
    for (const action of ['github.repo.get', 'github.git.fetch', 'github.repo.delete']) {
      expect(
        entries.map((e) => e.action),
        action,
      ).toContain(action);
    }
    // Every file of the data dir (databases, WAL, keys), the daemon's output and the API answers.
    const files = readdirSync(daemon.dataDir).map((f) =>
      readFileSync(join(daemon.dataDir, f)).toString('latin1'),
    );
    for (const text of files) expect(text).not.toContain(TOKEN);
    expect(daemon.logs()).not.toContain(TOKEN);
    for (const args of [
      ['connector', 'list', '--json'],
      ['config', 'export'],
      ['logs', '--last', '100', '--json'],
    ]) {
      const r = await cli(args);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain(TOKEN);
    }
    const dump = execFileSync('sqlite3', [join(daemon.dataDir, 'gateway.db'), '.dump'], {
      encoding: 'latin1',
    });
    expect(dump).not.toContain(TOKEN);
    expect(dump).not.toContain(DUMMY);
  });
});
