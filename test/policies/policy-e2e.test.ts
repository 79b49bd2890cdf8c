// Issue 5's end-to-end bar: the policy "stripe refunds above 5000 require approval, in production
// deny repo deletion" decides real proxied requests as written. The real daemon (built binary) is
// configured with `config apply` and `policy apply`; real HTTPS requests go through its gateway to
// loopback upstreams standing in for api.stripe.com and api.github.com.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, eventually, json } from '../cli/cli-harness.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { type DaemonProcess, REPO_ROOT, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';

const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', 'config', name);

let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let upstream: FakeUpstream;
let server: RunningServer<import('node:https').Server>;
let dir: string;
let keys: Record<string, string>;
let gatewayCa: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-policy-e2e-'));
  const upstreamCa = await createTestCa();
  upstream = createFakeUpstream('api');
  server = await startHttpsServer(upstream.handler, {
    hosts: ['api.stripe.com', 'api.github.com'],
    ca: upstreamCa,
  });
  const caFile = join(dir, 'upstream-ca.pem');
  writeFileSync(caFile, upstreamCa.certPem);
  daemon = await startDaemonProcess({
    args: [
      '--upstream-ca',
      caFile,
      '--connect-to',
      `api.stripe.com:443:127.0.0.1:${server.port}`,
      '--connect-to',
      `api.github.com:443:127.0.0.1:${server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
  });
  cli = cliFor(daemon);
  gatewayCa = readFileSync(join(daemon.dataDir, 'ca.crt'), 'utf8');

  const applied = await cli(['config', 'apply', '-f', fixture('e2e-config.yaml'), '--json']);
  expect(applied.code, applied.stderr).toBe(0);
  keys = json<{ new_agent_keys: Record<string, string> }>(applied).new_agent_keys;
  const policies = await cli(['policy', 'apply', '-f', fixture('guard-policies.yaml')]);
  expect(policies.code, policies.stderr).toBe(0);
  expect(policies.stdout).toContain('policy production-guard: created as version 1');
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function viaGateway(agent: string, url: string, init: { method?: string; body?: string } = {}) {
  const gw = new URL(daemon.gatewayUrl);
  const dispatcher = new ProxyAgent({
    uri: `http://${agent}:${keys[agent]}@${gw.host}`,
    requestTls: { ca: gatewayCa },
  });
  try {
    const headers =
      init.body === undefined ? undefined : { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await fetch(url, { ...init, headers, dispatcher });
    const text = await res.text();
    let problem: { code?: string; detail?: string; action?: string } = {};
    if (res.headers.get('content-type')?.startsWith('application/problem+json')) problem = JSON.parse(text);
    return { status: res.status, problem, retryAfter: res.headers.get('retry-after') };
  } finally {
    await dispatcher.close();
  }
}

const refund = (amount: number) =>
  viaGateway('pay-bot', 'https://api.stripe.com/v1/refunds', {
    method: 'POST',
    body: `charge=ch_1&amount=${amount}`,
  });

describe('policies deciding real proxied requests', () => {
  it('holds a stripe refund above 5000 until someone the rule allows decides (here: denies it)', async () => {
    let reasons: string[] = [];
    // The gateway follows the control plane asynchronously: until the policies have arrived a refund
    // simply passes, so try until one is held, then deny its approval from the CLI.
    const r = await eventually(
      async () => {
        let done = false;
        const held = refund(6000).finally(() => {
          done = true;
        });
        for (let i = 0; i < 50 && !done; i++) {
          const list = json<{ approvals: { id: string; action: string; reasons: string[] }[] }>(
            await cli(['approvals', 'list', '--json']),
          );
          const approval = list.approvals.find((a) => a.action === 'stripe.refund.create');
          if (approval) {
            reasons = approval.reasons;
            const denied = await cli(['approvals', 'deny', approval.id, '--note', 'finance says no']);
            expect(denied.code, denied.stderr).toBe(0);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return held;
      },
      (x) => x.problem.code === 'approval_denied',
      'the big refund is not held',
      20_000,
    );
    expect(r.status).toBe(403);
    expect(r.problem.action).toBe('stripe.refund.create');
    expect(r.problem.detail).toContain('finance says no');
    expect(reasons.join(' ')).toContain('refund-limits / rule big-refunds');
  });

  it('lets a refund of 5000 or less through to Stripe', async () => {
    const before = upstream.seen.length;
    const r = await refund(5000);
    expect(r.status).toBe(200);
    expect(upstream.seen.slice(before)).toEqual([
      expect.objectContaining({ method: 'POST', url: '/v1/refunds' }),
    ]);
  });

  it('denies repository deletion to an agent labelled environment: production', async () => {
    const before = upstream.seen.length;
    const r = await viaGateway('pay-bot', 'https://api.github.com/repos/acme/site', { method: 'DELETE' });
    expect(r.status).toBe(403);
    expect(r.problem).toMatchObject({ code: 'policy_denied', action: 'github.repo.delete' });
    expect(r.problem.detail).toContain('repositories are not deleted from production');
    expect(upstream.seen.length).toBe(before);
  });

  it('leaves repository deletion outside production to permissions, then rate-limits with Retry-After', async () => {
    const del = await viaGateway('dev-bot', 'https://api.github.com/repos/acme/site', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await viaGateway('dev-bot', 'https://api.github.com/repos/acme/site')).status).toBe(200);
    const limited = await viaGateway('dev-bot', 'https://api.github.com/repos/acme/site');
    expect(limited.status).toBe(429);
    expect(limited.problem.code).toBe('rate_limited');
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
  });

  it('gives the same answer in a dry run as the gateway did', async () => {
    const body = join(dir, 'refund.txt');
    writeFileSync(body, 'charge=ch_1&amount=6000');
    const run = await cli([
      'dry-run',
      '--agent',
      'pay-bot',
      '--method',
      'POST',
      '--url',
      'https://api.stripe.com/v1/refunds',
      '--header',
      'Content-Type: application/x-www-form-urlencoded',
      '--body',
      body,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run)).toMatchObject({
      verdict: 'require_approval',
      code: 'approval_required',
      matched_rules: [{ policy: 'refund-limits', rule: 'big-refunds' }],
    });
    const text = await cli(['dry-run', '--agent', 'pay-bot', '--action', 'github.repo.delete']);
    expect(text.stdout).toMatch(/^verdict {5}deny \(policy_denied\)$/m);
    expect(text.stdout).toContain('production-guard');
  });
});

describe('the commands around it, against the same daemon', () => {
  it('lists policies and their history, and rolls one back', async () => {
    const list = await cli(['policy', 'list']);
    expect(list.stdout).toMatch(/^production-guard\s+1\s+yes\s+20\s+enforce\s+1\s/m);
    expect((await cli(['policy', 'disable', 'production-guard'])).stdout).toContain('disabled as version 2');
    expect((await cli(['policy', 'rollback', 'production-guard', '1'])).stdout).toContain(
      'version 1 restored as version 3',
    );
    const history = await cli(['policy', 'history', 'production-guard', '--json']);
    expect(json<{ versions: { change: string }[] }>(history).versions.map((v) => v.change)).toEqual([
      'rollback',
      'disabled',
      'created',
    ]);
  });

  it('sets and lists rate limits, and exports a configuration that re-applies as a no-op', async () => {
    const set = await cli([
      'rate-limit',
      'set',
      '--agent',
      '*',
      '--action',
      'stripe.refund.*',
      '--rate',
      '30/m',
      '--burst',
      '3',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/created: every agent for stripe\.refund\.\*: 0\.5\/s, burst 3/);
    const list = await cli(['rate-limit', 'list', '--agent', 'pay-bot']);
    expect(list.stdout).toMatch(/^\S+\s+\*\s+-\s+stripe\.refund\.\*\s+0\.5\s+3$/m);

    const file = join(dir, 'exported.yaml');
    const exported = await cli(['config', 'export', '-o', file]);
    expect(exported.stdout).toContain('2 agents, 2 connectors, 3 permissions, 2 policies, 2 rate limits');
    const again = await cli(['config', 'apply', '-f', file, '--dry-run', '--prune']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('nothing to change (11 unchanged)\ndry run: nothing was changed\n');
  });
});
