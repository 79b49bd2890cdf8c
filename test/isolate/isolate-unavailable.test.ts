// Without unprivileged user namespaces, `run --isolate` fails before the command starts, with one
// line that says why and what fixes it, and the check `doctor` uses says the same. Where namespaces
// work, the test takes them away: inside a user namespace of its own with user.max_user_namespaces=0
// (a limit that namespace's root may set), nothing below can create another one. Where they do not
// work, the machine's own refusal is checked instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, minimalEnv, REPO_ROOT } from '../helpers/spawn-daemon.js';
import { AGENT, collect, support, useWorld } from './isolate-harness.js';

const world = useWorld(true);

/** Runs `argv` where user namespaces cannot be created. */
function withoutNamespaces(argv: string[]) {
  const env = minimalEnv({
    TAMEFLARE_URL: world().daemon.controlUrl,
    TAMEFLARE_DATA_DIR: world().daemon.dataDir,
  });
  const child = support.available
    ? spawn(
        'unshare',
        [
          '--user',
          '--map-root-user',
          '--',
          'sh',
          '-c',
          'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"',
          'sh',
          ...argv,
        ],
        { cwd: world().work, env, stdio: ['ignore', 'pipe', 'pipe'] },
      )
    : spawn(argv[0]!, argv.slice(1), { cwd: world().work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child);
}

describe('run --isolate without user namespaces', () => {
  it('fails before starting the command, with one line: the reason and the fix', async () => {
    const marker = join(world().work, 'the-command-ran');
    const run = withoutNamespaces([
      process.execPath,
      BIN,
      'run',
      '--isolate',
      '--agent',
      AGENT,
      '--',
      'touch',
      marker,
    ]);
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(126);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tameflare: cannot isolate: .+; fix: .+/);
    if (support.available) {
      expect(lines[0]).toBe(
        'tameflare: cannot isolate: user namespaces are disabled (user.max_user_namespaces=0); ' +
          'fix: sudo sysctl -w user.max_user_namespaces=15000',
      );
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('the check for doctor reports it unavailable, with the same reason', async () => {
    const module = join(REPO_ROOT, 'dist', 'src', 'agent-env', 'isolate', 'isolation-support.js');
    const js = `import(${JSON.stringify(module)}).then((m) => m.checkIsolation(process.env)).then((r) => console.log(JSON.stringify(r)))`;
    const run = withoutNamespaces([process.execPath, '-e', js]);
    expect((await run.exit).code, run.stderr()).toBe(0);
    const result = JSON.parse(run.stdout()) as { available: boolean; reason?: string; fix?: string };
    expect(result.available).toBe(false);
    expect(result.reason).toBeTruthy();
    expect(result.fix).toBeTruthy();
    if (support.available)
      expect(result.reason).toBe('user namespaces are disabled (user.max_user_namespaces=0)');
  });
});
