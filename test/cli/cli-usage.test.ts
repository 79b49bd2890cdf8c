// Usage errors and --help, run in-process through the same runCli main.ts calls: every one of these
// must be decided before any request, so no daemon is involved (the URL points at a closed port).
// The exit codes of the real binary are covered by cli-offline.test.ts.
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/cli-context.js';
import { CliError } from '../../src/cli/cli-error.js';
import { runCli } from '../../src/cli/program.js';

interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: Record<string, string> = {}): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const stdin = new PassThrough();
  stdin.end();
  const ctx: CliContext = {
    env: { TAMEFLARE_URL: 'http://127.0.0.1:1', ...env },
    stdout: new Writable({
      write(chunk: Buffer, _encoding, done) {
        stdout += chunk.toString('utf8');
        done();
      },
    }),
    stderr: {
      write: (s: string) => {
        stderr += s;
        return true;
      },
    } as unknown as CliContext['stderr'],
    stdin,
    version: 'test',
    preloadPath: '/nonexistent/preload.js',
  };
  try {
    return { code: await runCli(['node', 'tameflare', ...args], ctx), stdout, stderr };
  } catch (err) {
    // As main.ts does.
    if (err instanceof CliError)
      return { code: err.exitCode, stdout, stderr: `${stderr}tameflare: ${err.message}\n` };
    throw err;
  }
}

describe('usage errors: exit 2 before any request', () => {
  it.each([
    [['kill-switch'], /choose one of --activate, --deactivate or --status/],
    [['kill-switch', '--activate', '--deactivate'], /cannot be combined/],
    [['kill-switch', '--activate', '--scope', 'everything'], /invalid --scope/],
    [['kill-switch', '--status', '--reason', 'x'], /--reason goes with --activate only/],
    [['agent', 'add', 'bot', '--label', 'novalue'], /invalid --label "novalue"/],
    [['agent', 'add', 'bot', '--port', '70000'], /invalid --port/],
    [['agent', 'add', 'bot', '--mode', 'yolo'], /argument 'yolo' is invalid/],
    [['agent', 'add'], /missing required argument 'name'/],
    [
      ['permissions', 'set', '--agent', 'a', '--connector', 'c', '--action', '*', '--decision', 'maybe'],
      /invalid/,
    ],
    [['permissions', 'set', '--agent', 'a', '--connector', 'c', '--action', '*'], /--decision/],
    [['permissions', 'remove', 'abc'], /invalid permission id/],
    [['permissions', 'preset', '--agent', 'a', '--connector', 'c', 'everything'], /invalid/],
    [['connector', 'set-token', 'github'], /--token-stdin or --token-env/],
    [['connector', 'add', 'github', '--token-stdin', '--token-env', 'X'], /not both/],
    [['connector', 'add', 'github', '--token-env', 'not-a-name'], /expected a variable name/],
    [['logs', '--last', '0'], /invalid --last/],
    [['logs', '--decision', 'perhaps'], /invalid/],
    [['env', '--agent', 'bot', '--format', 'xml'], /invalid/],
    [['env', '--agent', 'bot', '--key', 'k', '--ttl', '100'], /--ttl applies to a new session key/],
    [['env'], /--agent/],
    [['run', '--agent', 'bot'], /missing required argument 'command'/],
    [['run', '--', 'true'], /--agent/],
    // Commander stops reading options at the unknown one, so it reports --agent missing: still exit 2.
    [['run', '--bogus', '--agent', 'bot', '--', 'true'], /--bogus|--agent/],
    [['run', '--agent', 'bot', '--ttl', '5', '--', 'true'], /invalid --ttl/],
  ])('%j', async (args, pattern) => {
    const r = await run(args);
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/cannot reach/);
  });

  it('refuses a connector secret given with --token, without echoing it', async () => {
    for (const sub of [
      ['connector', 'add', 'github'],
      ['connector', 'set-token', 'github', '--token-stdin'],
    ]) {
      const r = await run([...sub, '--token', 'ghp_CommandLineSecret42']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/never goes on the command line/);
      expect(r.stdout + r.stderr).not.toContain('CommandLineSecret42');
    }
  });

  it('still takes a TameFlare API token with --token on connector commands', async () => {
    const r = await run(['connector', 'set-token', 'github', '--token-env', 'GH', '--token', 'tf_pat_x'], {
      GH: 'ghp_value',
    });
    // Past validation: the request itself fails, as the daemon is not running.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the TameFlare control plane/);
  });
});

describe('--help', () => {
  it.each([
    'agent add',
    'agent list',
    'agent show',
    'agent suspend',
    'agent resume',
    'agent remove',
    'agent rotate-key',
    'connector add',
    'connector list',
    'connector remove',
    'connector set-token',
    'connector actions',
    'connector types',
    'permissions set',
    'permissions list',
    'permissions remove',
    'permissions preset',
    'kill-switch',
    'logs',
    'env',
    'run',
    'ca path',
    'ca pem',
  ])('tameflare %s --help shows an example', async (cmd) => {
    const r = await run([...cmd.split(' '), '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: tameflare ${cmd} `));
    expect(r.stdout).toMatch(/\nExamples:\n {2}\$ .*tameflare /);
  });
});
