// `tameflare policy test` is CI for policies: it must work with no daemon and no data dir, so these
// tests run the BUILT binary with nothing else around it.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTameflare } from '../cli/cli-harness.js';
import { assertBuilt, REPO_ROOT } from '../helpers/spawn-daemon.js';

const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', 'config', name);
// Pointing the CLI at a port nothing listens on proves no daemon is needed.
const env = { TAMEFLARE_URL: 'http://127.0.0.1:9', TAMEFLARE_DATA_DIR: '/nonexistent/tameflare' };

beforeAll(() => {
  assertBuilt();
});

describe('tameflare policy test (offline)', () => {
  it('passes a case file that matches, printing a table and exiting 0', async () => {
    const r = await runTameflare(
      ['policy', 'test', '-f', fixture('guard-policies.yaml'), '--cases', fixture('guard-cases-pass.yaml')],
      { env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^RESULT\s+CASE\s+DECISION$/m);
    expect(r.stdout).toMatch(/^PASS\s+big refund needs approval\s+require_approval \(approval_required\)$/m);
    expect(r.stdout).toContain('4 passed, 0 failed');
  });

  it('fails a case file with a wrong expectation, saying what differed, and exits 1', async () => {
    const r = await runTameflare(
      ['policy', 'test', '-f', fixture('guard-policies.yaml'), '--cases', fixture('guard-cases-fail.yaml')],
      { env },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^PASS\s+small refund is allowed/m);
    expect(r.stdout).toMatch(/^FAIL\s+a wrong expectation\s+deny \(policy_denied\)$/m);
    expect(r.stdout).toContain('✗ verdict: expected "allow", got "deny"');
    expect(r.stdout).toContain('production-guard / rule no-repo-deletion');
    expect(r.stdout).toContain('1 passed, 1 failed');
  });

  it('answers JSON with --json', async () => {
    const r = await runTameflare(
      [
        'policy',
        'test',
        '-f',
        fixture('guard-policies.yaml'),
        '--cases',
        fixture('guard-cases-fail.yaml'),
        '--json',
      ],
      { env },
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      passed: number;
      failed: number;
      results: { name: string; pass: boolean }[];
    };
    expect(out).toMatchObject({ passed: 1, failed: 1 });
    expect(out.results.map((x) => x.pass)).toEqual([true, false]);
  });

  it('refuses an invalid policy in one line naming the file, line and path', async () => {
    const r = await runTameflare(
      ['policy', 'test', '-f', fixture('invalid-policy.yaml'), '--cases', fixture('guard-cases-pass.yaml')],
      { env },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tameflare: invalid policy .*invalid-policy\.yaml: line 4, rules\[0\]\.when\.operator: /,
    );
  });

  it('says plainly when a file is missing, and shows an example in --help', async () => {
    const missing = await runTameflare(
      ['policy', 'test', '-f', fixture('nope.yaml'), '--cases', fixture('nope.yaml')],
      {
        env,
      },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tameflare: cannot read policy file .*nope\.yaml: no such file\n$/);
    const help = await runTameflare(['policy', 'test', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--cases');
  });
});
