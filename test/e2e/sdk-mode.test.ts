// SDK mode end to end: the built daemon (role all), the package's own client imported as
// `tameflare/sdk` by a separate Node process, curl through the gateway to a local HTTPS
// "api.stripe.com", and decision tokens standing in for the approval at the gateway: once, for this
// agent, this action and these parameters only, and never sent upstream.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDecision } from '../../src/wire/actions.js';
import { cliFor, json } from '../cli/cli-harness.js';
import { type DaemonProcess, minimalEnv, REPO_ROOT, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';

const run = promisify(execFile);
let work: string;
let upstream: RunningServer<import('node:https').Server>;
const seen: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let agentKey: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-sdk-'));
  // As if installed: node_modules/tameflare is the package, resolved through its "exports".
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(REPO_ROOT, join(work, 'node_modules', 'tameflare'), 'dir');
  const ca = await createTestCa();
  writeFileSync(join(work, 'upstream-ca.pem'), ca.certPem);
  upstream = await startHttpsServer(
    (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        res.setHeader('content-type', 'application/json');
        res.end('{"id":"re_1","object":"refund"}');
      });
    },
    { hosts: ['api.stripe.com'], ca },
  );
  daemon = await startDaemonProcess({
    args: [
      '--upstream-ca',
      join(work, 'upstream-ca.pem'),
      '--connect-to',
      `api.stripe.com:443:127.0.0.1:${upstream.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
    env: { TAMEFLARE_APPROVAL_TIMEOUT: '1' },
  });
  cli = cliFor(daemon);
  agentKey = json<{ key: string }>(await cli(['agent', 'add', 'pay-bot', '--json'])).key;
  expect((await cli(['connector', 'add', 'stripe'])).code).toBe(0);
  for (const [action, decision] of [
    ['stripe.refund.create', 'require_approval'],
    ['stripe.charge.create', 'allow'],
  ]) {
    const set = await cli([
      'permissions',
      'set',
      '--agent',
      'pay-bot',
      '--connector',
      'stripe',
      '--action',
      action!,
      '--decision',
      decision!,
    ]);
    expect(set.code, set.stderr).toBe(0);
  }
}, 90_000);

afterAll(async () => {
  await daemon?.stop();
  await upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs a script in a new Node process that imports the client exactly as a user would. */
async function sdk(script: string): Promise<unknown> {
  const file = join(work, `sdk-${Date.now()}-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { createClient, decisionTokenHeaders, TameFlareError } from 'tameflare/sdk';\n` +
      `const tf = createClient({ url: process.env.TF_URL, agentKey: process.env.TF_KEY });\n` +
      `const out = await (async () => { ${script} })();\nconsole.log(JSON.stringify(out));\n`,
  );
  const { stdout } = await run(process.execPath, [file], {
    cwd: work,
    env: minimalEnv({ TF_URL: daemon.controlUrl, TF_KEY: agentKey }),
  });
  return JSON.parse(stdout);
}

/** curl through the gateway, trusting its CA; answers status and body (async: the upstream is in this process). */
async function curl(path: string, form: string, token?: string): Promise<{ status: number; body: string }> {
  const gw = new URL(daemon.gatewayUrl);
  const { stdout: out } = await run(
    'curl',
    [
      '-sS',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      '--proxy',
      `http://pay-bot:${agentKey}@${gw.host}`,
      '--cacert',
      join(daemon.dataDir, 'ca.crt'),
      '-d',
      form,
      ...(token ? ['-H', `X-TameFlare-Decision-Token: ${token}`] : []),
      `https://api.stripe.com${path}`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  const cut = out.lastIndexOf('\n');
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

describe('SDK mode', () => {
  it('allowed: execute spends the token once and runs the action', async () => {
    const out = (await sdk(`
      const d = await tf.requestAction({ type: 'stripe.charge.create', parameters: { amount: 100, currency: 'usd' }, resource: { provider: 'stripe' } });
      const ran = await tf.execute(d, () => 'charged');
      let second;
      try { await tf.execute(d); } catch (err) { second = { code: err.code, status: err.status, isError: err instanceof TameFlareError }; }
      return { status: d.status, ran, second };
    `)) as { status: string; ran: string; second: unknown };
    expect(out).toEqual({
      status: 'allowed',
      ran: 'charged',
      second: { code: 'decision_token_used', status: 409, isError: true },
    });
  });

  it('a token stands in for the approval at the gateway: once, for these parameters, never sent upstream', async () => {
    // What the gateway will extract from the real request: ask dry-run, as docs/sdk-mode.md says.
    const dry = await fetch(`${daemon.controlUrl}/v1/dry-run`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        agent: 'pay-bot',
        method: 'POST',
        url: 'https://api.stripe.com/v1/refunds',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'amount=5000&charge=ch_1',
      }),
    });
    const params = ((await dry.json()) as { params: Record<string, unknown> }).params;
    expect(params).toMatchObject({ amount: 5000 });
    const pending = (await sdk(
      `return tf.requestAction({ type: 'stripe.refund.create', parameters: ${JSON.stringify(params)} });`,
    )) as ActionDecision;
    expect(pending).toMatchObject({ status: 'pending_approval', decision_token: null });
    // Without a token the request is held (refused at once, or after the 1 s hold).
    expect((await curl('/v1/refunds', 'amount=5000&charge=ch_1')).status).not.toBe(200);
    // An approver decides the SDK request's approval like any other.
    expect(pending.approval_id).toMatch(/^apv_/);
    const decided = await cli(['approvals', 'approve', pending.approval_id!]);
    expect(decided.code, decided.stderr).toBe(0);
    const approved = (await sdk(
      `return tf.waitForApproval('${pending.action_request_id}', { intervalMs: 100, timeoutMs: 10000 });`,
    )) as ActionDecision;
    expect(approved.status).toBe('approved');
    const token = approved.decision_token!;
    // Other parameters: the token does not fit, the request is held as without one.
    expect((await curl('/v1/refunds', 'amount=9999&charge=ch_1', token)).status).not.toBe(200);
    const before = seen.length;
    const ok = await curl('/v1/refunds', 'amount=5000&charge=ch_1', token);
    expect([ok.status, ok.body]).toEqual([200, '{"id":"re_1","object":"refund"}']);
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)!.headers['x-tameflare-decision-token']).toBeUndefined();
    // Spent: the same token again is held like any request needing approval.
    expect((await curl('/v1/refunds', 'amount=5000&charge=ch_1', token)).status).not.toBe(200);
    expect(seen.length).toBe(before + 1);
    const after = (await sdk(`return tf.getAction('${pending.action_request_id}');`)) as ActionDecision;
    expect([after.status, after.decision_token]).toEqual(['executed', null]);
  });

  it('the ledger records who spent the token, and the allowed request', async () => {
    const q = (sql: string) =>
      execFileSync('sqlite3', [join(daemon.dataDir, 'local.db'), sql], { encoding: 'utf8' }).trim();
    expect(
      q(
        "SELECT actor FROM audit_events WHERE event_type = 'action_request.executed' ORDER BY id DESC LIMIT 1",
      ),
    ).toBe('gateway:default');
    // The reason is in the gateway's traffic row, which the ledger's compact event refers to.
    const allowed = async () => {
      const ids = execFileSync(
        'sqlite3',
        [
          join(daemon.dataDir, 'gateway.db'),
          "SELECT group_concat(id) FROM traffic_log WHERE reason LIKE '%satisfied by a decision token%'",
        ],
        { encoding: 'utf8' },
      ).trim();
      return q(
        `SELECT count(*) FROM audit_events WHERE event_type = 'action.allowed' AND json_extract(details, '$.traffic_id') IN (${ids || 'NULL'})`,
      );
    };
    const end = Date.now() + 10_000;
    while ((await allowed()) !== '1' && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(await allowed()).toBe('1');
  });
});
