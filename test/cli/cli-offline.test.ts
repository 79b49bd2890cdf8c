// The CLI with no daemon: local commands (`ca`), usage errors (exit 2), and the one clear line when
// the control plane is not running (exit 1).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/cli-process.js';
import { assertBuilt } from '../helpers/spawn-daemon.js';
import { type CliRun, runTameflare } from './cli-harness.js';

let dataDir: string;
let emptyDir: string;

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tf-cli-offline-'));
  emptyDir = mkdtempSync(join(tmpdir(), 'tf-cli-empty-'));
  const init = await runTameflare(['init', '--data-dir', dataDir]);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});

/** One line on stderr, prefixed as every CLI error is. */
function expectOneLineError(run: CliRun, code: number, pattern: RegExp): void {
  expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(code);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(pattern);
}

describe('ca (local, no daemon)', () => {
  it('prints the absolute path of a CA certificate that exists', async () => {
    const run = await runTameflare(['ca', 'path', '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);
    const path = run.stdout.trim();
    expect(isAbsolute(path)).toBe(true);
    expect(path).toBe(join(dataDir, 'ca.crt'));
    expect(existsSync(path)).toBe(true);
  });

  it('takes the data dir from TAMEFLARE_DATA_DIR and offers the bundle', async () => {
    const run = await runTameflare(['ca', 'path', '--bundle', '--json'], {
      env: { TAMEFLARE_DATA_DIR: dataDir },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ path: join(dataDir, 'ca-bundle.pem') });
  });

  it('prints the PEM', async () => {
    const run = await runTameflare(['ca', 'pem', '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(dataDir, 'ca.crt'), 'utf8'));
    expect(run.stdout).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('says to run init when the CA is missing', async () => {
    const run = await runTameflare(['ca', 'path', '--data-dir', emptyDir]);
    expectOneLineError(run, 1, /^tameflare: no CA at .*ca\.crt: run `tameflare init`/);
    expect(run.stdout).toBe('');
  });
});

describe('daemon not running', () => {
  // A port that was just free: nothing listens there, so connecting fails at once.
  let url: string;
  beforeAll(async () => {
    url = `http://127.0.0.1:${await freePort()}`;
  });

  it.each([[['agent', 'list']], [['env', '--agent', 'bot']], [['run', '--agent', 'bot', '--', 'true']]])(
    '%j says so in one line and exits 1',
    async (args) => {
      // Options go before `--`: after it, everything belongs to the command being run.
      const dash = args.indexOf('--');
      const flags = ['--url', url, '--data-dir', dataDir];
      const argv = dash < 0 ? [...args, ...flags] : [...args.slice(0, dash), ...flags, ...args.slice(dash)];
      const run = await runTameflare(argv);
      expectOneLineError(
        run,
        1,
        /^tameflare: cannot reach the TameFlare control plane at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is `tameflare serve` running\?$/,
      );
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    },
  );

  it('connector add with a piped token fails in one line and never echoes the token', async () => {
    const run = await runTameflare(
      [
        'connector',
        'add',
        'generic',
        '--domains',
        'x.test',
        '--token-stdin',
        '--url',
        url,
        '--data-dir',
        dataDir,
      ],
      { input: 'offline-secret-123\n' },
    );
    expectOneLineError(run, 1, /cannot reach the TameFlare control plane/);
    expect(run.stdout + run.stderr).not.toContain('offline-secret-123');
  });
});

describe('usage errors from the binary (the rest run in-process in cli-usage.test.ts)', () => {
  it('exit 2 with one line', async () => {
    const run = await runTameflare(['kill-switch', '--activate', '--deactivate']);
    expectOneLineError(run, 2, /^tameflare: --activate and --deactivate cannot be combined/);
  });

  it('a connector secret on the command line is refused without echoing it', async () => {
    const run = await runTameflare(['connector', 'add', 'github', '--token', 'ghp_CommandLineSecret42']);
    expectOneLineError(run, 2, /never goes on the command line/);
    expect(run.stdout + run.stderr).not.toContain('CommandLineSecret42');
  });

  it('--help shows an example', async () => {
    const run = await runTameflare(['run', '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\nExamples:\n {2}\$ tameflare run /);
  });
});
