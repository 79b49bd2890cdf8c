// `tameflare run --isolate` passes the command's exit code, signals and stdio through like a plain
// `run`, and leaves nothing behind however the command or `run` ends: no process in the namespace
// (so no namespace and no listener), no bridge, no private directory. Also: the same for an
// unprivileged user (the point of user namespaces), and a missing command reported as `run` does.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../cli/cli-harness.js';
import { BIN, minimalEnv } from '../helpers/spawn-daemon.js';
import {
  AGENT,
  collect,
  leftovers,
  parseReady,
  readyScript,
  skipReason,
  spawnIsolated,
  support,
  useWorld,
} from './isolate-harness.js';

const world = useWorld();

describe.skipIf(!support.available)(`run --isolate: lifetime${skipReason}`, () => {
  it('passes the exit code through; nothing outlives a normal exit, not even a background process', async () => {
    const run = collect(spawnIsolated(world(), readyScript('exit 7')));
    const ready = parseReady(await run.line('READY'));
    expect(await run.exit).toEqual({ code: 7, signal: null });
    expect(leftovers(ready.netns, ready.privateDir)).toEqual([]);
  });

  it('Ctrl-C (SIGINT to the foreground process group) ends the command; run exits 130', async () => {
    const child = spawnIsolated(world(), readyScript('wait'), { detached: true });
    const run = collect(child);
    const ready = parseReady(await run.line('READY'));
    process.kill(-child.pid!, 'SIGINT');
    expect(await run.exit).toEqual({ code: 130, signal: null });
    expect(leftovers(ready.netns, ready.privateDir)).toEqual([]);
  });

  it('SIGTERM to run is passed on to the command', async () => {
    const child = spawnIsolated(world(), readyScript('exec sleep 1000'));
    const run = collect(child);
    const ready = parseReady(await run.line('READY'));
    child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 143, signal: null });
    expect(leftovers(ready.netns, ready.privateDir)).toEqual([]);
  });

  it('kill -9 of run takes the bridge, the namespace and the command down', async () => {
    const child = spawnIsolated(world(), readyScript('wait'));
    const run = collect(child);
    const ready = parseReady(await run.line('READY'));
    expect(leftovers(ready.netns, ready.privateDir).length).toBeGreaterThan(0); // alive until now
    child.kill('SIGKILL');
    expect((await run.exit).signal).toBe('SIGKILL');
    await eventually(
      async () => leftovers(ready.netns, ready.privateDir),
      (found) => found.length === 0,
      'what is left of the isolated run',
    );
  });

  it('stdin and stdout pass through', async () => {
    const r = await world().cli(
      ['run', '--isolate', '--agent', AGENT, '--', 'sh', '-c', 'tr a-z A-Z; echo done >&2'],
      {
        input: 'hello\n',
      },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'HELLO\n' });
    expect(r.stderr).toContain('done');
  });

  it("hides the data directory's keys, tokens and databases; keeps its certificates, read-only", async () => {
    const dir = world().daemon.dataDir;
    const touched = () => readdirSync(dir).map((f) => `${f} ${statSync(join(dir, f)).mtimeMs}`);
    const before = touched();
    const r = await world().cli([
      'run',
      '--isolate',
      '--agent',
      AGENT,
      '--',
      'sh',
      '-c',
      'ls "$1"; echo ==listed==; cat "$1/ca.crt"; cat "$1/cli.token" 2>/dev/null || echo no-token; touch "$1/x" 2>/dev/null || echo read-only',
      'sh',
      dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const [listing, rest] = r.stdout.split('==listed==\n') as [string, string];
    const visible = listing.trim().split('\n');
    expect(visible).toEqual(expect.arrayContaining(['ca-bundle.pem', 'ca.crt']));
    for (const name of visible)
      expect(name).toMatch(/^(ca\.crt|ca-bundle\.pem|java-truststore-[0-9a-f]+\.p12)$/);
    expect(rest).toBe(`${ca}no-token\nread-only\n`);
    // Nothing was written to the real directory (the copies went into the tmpfs over it).
    expect(touched().filter((f) => /^ca/.test(f))).toEqual(before.filter((f) => /^ca/.test(f)));
  });

  it('a missing command is reported as a plain run reports it (127, one line)', async () => {
    const r = await world().cli(['run', '--isolate', '--agent', AGENT, '--', 'no-such-command-here']);
    expect(r.code).toBe(127);
    expect(r.stderr.trim().split('\n')).toEqual(['tameflare: command not found: no-such-command-here']);
  });

  it.skipIf(process.getuid?.() !== 0)('works for an unprivileged user', async () => {
    // nobody gets a data dir of its own with the CA files and uses the operator's token from the
    // environment: it cannot read the daemon's.
    const dir = mkdtempSync(join(tmpdir(), 'tf-isolate-nobody-'));
    try {
      for (const file of ['ca.crt', 'ca-bundle.pem'])
        copyFileSync(join(world().daemon.dataDir, file), join(dir, file));
      chmodSync(dir, 0o755);
      for (const path of [dir, join(dir, 'ca.crt'), join(dir, 'ca-bundle.pem')])
        chownSync(path, 65534, 65534);
      const token = readFileSync(join(world().daemon.dataDir, 'cli.token'), 'utf8').trim();
      const child = spawn(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--',
          process.execPath,
          BIN,
          'run',
          '--isolate',
          '--agent',
          AGENT,
          '--',
          'sh',
          '-c',
          'id -u; curl -sS --noproxy "*" https://api.github.com/repos/octo/hello?via=nobody',
        ],
        {
          cwd: dir,
          env: minimalEnv({
            TAMEFLARE_URL: world().daemon.controlUrl,
            TAMEFLARE_DATA_DIR: dir,
            TAMEFLARE_TOKEN: token,
            HOME: dir,
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const run = collect(child);
      expect(await run.exit, run.stderr()).toEqual({ code: 0, signal: null });
      const [uid, body] = run.stdout().split('\n');
      expect(uid).toBe('65534');
      expect(JSON.parse(body!)).toMatchObject({ upstream: 'api.github.com' });
      const hit = world().api.seen.find((s) => s.url.includes('via=nobody'));
      expect(hit?.headers.authorization).toBe(`Bearer ${world().token}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
