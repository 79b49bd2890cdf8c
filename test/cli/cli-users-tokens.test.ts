// `tameflare user` and `tameflare token` against a real daemon (the built executable, port 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type CliRun, cliFor, json } from './cli-harness.js';

let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
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
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^tameflare: /);
  return run;
}

beforeAll(async () => {
  daemon = await startDaemonProcess();
  cli = cliFor(daemon);
});
afterAll(async () => {
  await daemon?.stop();
});

describe('user', () => {
  it('add takes the password from stdin, or prints a generated one once', async () => {
    const piped = await ok(['user', 'add', 'ann@example.org', '--role', 'admin', '--password-stdin'], {
      input: 'a long enough password 1\n',
    });
    expect(piped.stdout).toBe('user ann@example.org added as admin\n');
    const generated = await ok(['user', 'add', 'bob@example.org', '--role', 'viewer']);
    const m = /Password \(shown once; it cannot be shown again, store it now\):\n {2}(\S{24})\n/.exec(
      generated.stdout,
    );
    expect(m, generated.stdout).not.toBeNull();
    const asJson = json<{ user: { email: string }; password: string }>(
      await ok(['user', 'add', 'cid@example.org', '--role', 'member', '--json']),
    );
    expect(asJson.user.email).toBe('cid@example.org');
    expect(asJson.password).toHaveLength(24);
  });

  it('list, set-role and passwd', async () => {
    const list = await ok(['user', 'list']);
    expect(list.stdout).toMatch(/^EMAIL +ROLE +CREATED +UPDATED\n/);
    expect(list.stdout).toMatch(/\nann@example\.org +admin +/);
    expect((await ok(['user', 'set-role', 'bob@example.org', 'member'])).stdout).toBe(
      'user bob@example.org is now member\n',
    );
    const passwd = await ok(['user', 'passwd', 'bob@example.org']);
    expect(passwd.stdout).toMatch(/^password of bob@example\.org changed\n\nPassword \(shown once/);
    await ok(['user', 'passwd', 'bob@example.org', '--password-stdin'], { input: 'another long password' });
  });

  it('refuses the last owner, an unknown role and an empty stdin in one line', async () => {
    const last = await fails(['user', 'remove', 'admin@localhost']);
    expect(last.stderr).toMatch(/last owner/);
    expect((await fails(['user', 'set-role', 'admin@localhost', 'viewer'])).stderr).toMatch(/last owner/);
    const role = await cli(['user', 'set-role', 'bob@example.org', 'root']);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/Allowed choices are viewer, member, admin, owner/);
    expect(
      (await fails(['user', 'add', 'dan@example.org', '--role', 'viewer', '--password-stdin'])).stderr,
    ).toMatch(/password on stdin is empty/);
    expect((await fails(['user', 'remove', 'nobody@example.org'])).stderr).toMatch(
      /no user nobody@example\.org/,
    );
  });

  it('remove', async () => {
    expect((await ok(['user', 'remove', 'cid@example.org'])).stdout).toBe(
      'user cid@example.org removed (and 0 API tokens)\n',
    );
  });
});

describe('token', () => {
  let id = '';
  let secret = '';

  it('create prints the token once; --json gives {token, …}', async () => {
    const run = await ok(['token', 'create', '--name', 'ci', '--role', 'member', '--expires', '30d']);
    const m = /\n {2}(tf_pat_[A-Za-z0-9_-]{43})\n/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    expect(run.stdout).toMatch(/^API token ci created \(member, expires \d{4}-/);
    const j = json<{ token: string; id: string; role: string; expires_at: string | null }>(
      await ok(['token', 'create', '--name', 'script', '--json']),
    );
    expect(j.token).toMatch(/^tf_pat_/);
    expect(j.role).toBe('viewer');
    expect(j.expires_at).toBeNull();
    id = j.id;
    secret = j.token;
    // The new token works as the CLI's credential.
    const me = await ok(['agent', 'list', '--json'], { env: { TAMEFLARE_TOKEN: secret } });
    expect(json<{ agents: unknown[] }>(me).agents).toEqual([]);
  });

  it('list shows prefixes, never secrets', async () => {
    const list = await ok(['token', 'list']);
    expect(list.stdout).toMatch(/^ID +PREFIX +NAME +ROLE +USER +STATUS +EXPIRES +LAST USED\n/);
    expect(list.stdout).toContain(`${secret.slice(0, 13)}…`);
    expect(list.stdout).not.toContain(secret);
  });

  it('revoke stops the token at once', async () => {
    expect((await ok(['token', 'revoke', id])).stdout).toBe(`API token script (${id}) revoked\n`);
    const refused = await fails(['agent', 'list'], { env: { TAMEFLARE_TOKEN: secret } });
    expect(refused.stderr).toMatch(/unauthenticated/);
    expect((await fails(['token', 'revoke', id])).stderr).toMatch(/already revoked/);
  });

  it('refuses a role above the caller and a bad --expires', async () => {
    const viewerToken = json<{ token: string }>(await ok(['token', 'create', '--name', 'v', '--json'])).token;
    const above = await fails(['token', 'create', '--name', 'x', '--role', 'owner'], {
      env: { TAMEFLARE_TOKEN: viewerToken },
    });
    expect(above.stderr).toMatch(/may not be above yours/);
    const bad = await cli(['token', 'create', '--name', 'x', '--expires', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --expires "soon"/);
  });

  it('printed no secret beyond what was shown once', () => {
    const all = printed.join('\n');
    expect(all.split(secret).length - 1).toBe(1); // only in the --json answer of create
  });
});
