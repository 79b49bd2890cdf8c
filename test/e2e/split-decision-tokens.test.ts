// Decision tokens and SDK mode across the split (issue 13 item 4, the seed's independence table):
// the control plane and the gateway in two processes with two data directories, the gateway's link
// through a TCP relay that can be cut. A token the control plane minted stands in for an approval at
// the remote gateway, which verifies it against the control plane's JWKS (fetched again for a key it
// has not seen) and spends its nonce there, once. In a partition tokens are skipped and only local
// permissions decide (log and /health say so), and the token is not spent: it works once the
// network heals. With the gateway down, SDK mode still works against the control plane.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDecision } from '../../src/wire/actions.js';
import { json, runTameflare } from '../cli/cli-harness.js';
import { freePort } from '../helpers/cli-process.js';
import type { DaemonProcess } from '../helpers/spawn-daemon.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import {
  curl,
  health,
  startControl,
  startGateway,
  startUpstream,
  type Upstream,
  until,
} from './split-harness.js';

const MERGE_URL = 'https://api.github.com/repos/o/r/pulls/7/merge';
const MERGE_BODY = '{"merge_method":"squash"}';

let dirs: { control: string; gateway: string };
let ports: { control: number; gateway: number; agentStart: number };
let upstream: Upstream;
let toControl: TcpRelay;
let control: DaemonProcess;
let gateway: DaemonProcess | undefined;
let agentKey: string;
let operatorToken: string;
let mergeParams: Record<string, unknown>;

const controlUrl = () => `http://127.0.0.1:${ports.control}`;
const gatewayUrl = () => `http://127.0.0.1:${ports.gateway}`;
const cli = (args: string[], input?: string) =>
  runTameflare(args, { input, env: { TAMEFLARE_URL: controlUrl(), TAMEFLARE_DATA_DIR: dirs.control } });
const ok = async (args: string[], input?: string) => {
  const r = await cli(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
};

/** A call to the control plane's API, as an operator (cli.token) or as the agent (its key). */
async function api<T>(method: string, path: string, body?: unknown, bearer = operatorToken) {
  const res = await fetch(`${controlUrl()}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The merge, through the remote gateway, with a decision token or without. */
function merge(token?: string) {
  return curl(
    `http://tok-bot:${agentKey}@127.0.0.1:${ports.gateway}`,
    join(dirs.gateway, 'ca.crt'),
    MERGE_URL,
    [
      '-X',
      'PUT',
      '-H',
      'content-type: application/json',
      '-d',
      MERGE_BODY,
      ...(token ? ['-H', `X-TameFlare-Decision-Token: ${token}`] : []),
    ],
  );
}
const merges = () => upstream.api.seen.filter((s) => s.method === 'PUT' && s.url.endsWith('/pulls/7/merge'));

/** SDK mode: the agent asks, an approver approves, the agent fetches its token. */
async function approvedToken(): Promise<string> {
  const asked = await api<ActionDecision>(
    'POST',
    '/v1/actions',
    { type: 'github.pr.merge', parameters: mergeParams },
    agentKey,
  );
  expect(asked.status, JSON.stringify(asked.body)).toBe(200);
  expect(asked.body.status).toBe('pending_approval');
  await ok(['approvals', 'approve', asked.body.approval_id!]);
  const got = await api<ActionDecision>(
    'GET',
    `/v1/actions/${asked.body.action_request_id}`,
    undefined,
    agentKey,
  );
  expect(got.body.status).toBe('approved');
  return got.body.decision_token!;
}

const kidOf = (jws: string) =>
  (JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;

const bootGateway = async () => {
  gateway = await startGateway({
    dataDir: dirs.gateway,
    port: ports.gateway,
    controlUrl: toControl.url,
    upstream,
    portStart: ports.agentStart,
    portEnd: ports.agentStart + 9,
    // A request that needs approval and has no usable token is held one second, then refused.
    env: { TAMEFLARE_APPROVAL_TIMEOUT: '1' },
  });
};

beforeAll(async () => {
  dirs = { control: mkdtempSync(join(tmpdir(), 'tf-cp-')), gateway: mkdtempSync(join(tmpdir(), 'tf-gw-')) };
  ports = {
    control: await freePort(),
    gateway: await freePort(),
    agentStart: 43_000 + Math.floor(Math.random() * 200) * 10,
  };
  upstream = await startUpstream();
  toControl = await startTcpRelay(ports.control);
  control = await startControl({ dataDir: dirs.control, port: ports.control });
  await bootGateway();
  operatorToken = readFileSync(join(dirs.control, 'cli.token'), 'utf8').trim();
  agentKey = json<{ key: string }>(await ok(['agent', 'add', 'tok-bot', '--json'])).key;
  await ok(['connector', 'add', 'github', '--token-stdin'], 'ghp_TOKENS_vaulted');
  await ok(['permissions', 'preset', '--agent', 'tok-bot', '--connector', 'github', 'allow-all']);
  await ok([
    ...['permissions', 'set', '--agent', 'tok-bot', '--connector', 'github'],
    ...['--action', 'github.pr.merge', '--decision', 'require_approval'],
  ]);
  // What the gateway extracts from the real request, as docs/sdk-mode.md says: ask dry-run.
  const dry = await api<{ action: string; params: Record<string, unknown> }>('POST', '/v1/dry-run', {
    agent: 'tok-bot',
    method: 'PUT',
    url: MERGE_URL,
    headers: { 'content-type': 'application/json' },
    body: MERGE_BODY,
  });
  expect(dry.body.action).toBe('github.pr.merge');
  mergeParams = dry.body.params;
  // The configuration reaches the other process through the stream.
  await until(async () => {
    const gw = await health(gatewayUrl());
    expect(gw.control_plane?.status).toBe('connected');
    expect(gw.agents).toBe(1);
    expect(
      (
        await curl(
          `http://tok-bot:${agentKey}@127.0.0.1:${ports.gateway}`,
          join(dirs.gateway, 'ca.crt'),
          'https://api.github.com/repos/o/r',
        )
      ).status,
    ).toBe(200);
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await control?.stop();
  await toControl?.close();
  await upstream?.close();
  for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
});

describe('both running: the remote gateway verifies tokens with the control plane', () => {
  it('a token stands in for the approval, once; without one the request is held and refused', async () => {
    expect((await merge()).status).not.toBe(200);
    expect(merges()).toHaveLength(0);
    const token = await approvedToken();
    const first = await merge(token);
    expect(first.status, first.body).toBe(200);
    expect(merges()).toHaveLength(1);
    expect(merges()[0]!.headers['x-tameflare-decision-token']).toBeUndefined();
    // The nonce was spent at the control plane: the same token again is worth nothing.
    expect((await merge(token)).status).not.toBe(200);
    expect(merges()).toHaveLength(1);
    const gw = await health(gatewayUrl());
    expect(gw.decision_tokens).toMatchObject({ verification: 'control_plane', accepted: 1, skipped: 0 });
    expect(gw.decision_tokens?.refused).toBeGreaterThanOrEqual(1);
  });

  it('a rotated signing key: the gateway fetches the JWKS again for the key it has not seen', async () => {
    const before = await approvedToken();
    const rotated = await api<unknown>('POST', '/v1/keys/rotate', {});
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const token = await approvedToken();
    expect(kidOf(token)).not.toBe(kidOf(before));
    // At most one JWKS fetch every few seconds (an unknown kid cannot make it hammer the control
    // plane), so the first try may come too soon after the last fetch; a failed signature check
    // does not spend the token.
    await until(async () => expect((await merge(token)).status).toBe(200), 30_000);
    expect(merges()).toHaveLength(2);
  });
});

describe('partition: tokens are skipped, local permissions decide', () => {
  it('ignores a valid token while the control plane is unreachable, says so, and it works after', {
    timeout: 90_000,
  }, async () => {
    const token = await approvedToken();
    toControl.cut();
    try {
      await until(
        async () => expect((await health(gatewayUrl())).control_plane?.status).toBe('unreachable'),
        30_000,
      );
      // Allowed by local permissions: proxied as usual.
      expect(
        (
          await curl(
            `http://tok-bot:${agentKey}@127.0.0.1:${ports.gateway}`,
            join(dirs.gateway, 'ca.crt'),
            'https://api.github.com/repos/o/r?partition',
          )
        ).status,
      ).toBe(200);
      // Needs approval: the token cannot be verified, so it is as if there were none.
      const held = await merge(token);
      expect(held.status).not.toBe(200);
      expect(merges()).toHaveLength(2);
      const gw = await health(gatewayUrl());
      expect(gw.decision_tokens).toMatchObject({ verification: 'skipped', skipped: 1 });
      expect(gw.decision_tokens?.last_skipped_at).toEqual(expect.any(String));
      expect(gateway!.logs()).toMatch(/decision tokens skipped: the control plane is unreachable/);
      const status = await cli(['status']);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(
        /gateway .*unreachable.*decision tokens skipped \(control plane unreachable\)/,
      );
    } finally {
      toControl.heal();
    }
    await until(
      async () => expect((await health(gatewayUrl())).decision_tokens?.verification).toBe('control_plane'),
      30_000,
    );
    // Not spent while it was skipped: it does its job now.
    const after = await merge(token);
    expect(after.status, after.body).toBe(200);
    expect(merges()).toHaveLength(3);
  });
});

describe('control plane only: SDK mode works, proxy mode does not', () => {
  it('decides and spends tokens with the gateway down; the proxy is refused', {
    timeout: 60_000,
  }, async () => {
    await gateway?.stop();
    gateway = undefined;
    const asked = await api<ActionDecision>(
      'POST',
      '/v1/actions',
      { type: 'github.repo.get', parameters: { owner: 'o', repo: 'r' } },
      agentKey,
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect(asked.body).toMatchObject({ status: 'allowed', decision_token: expect.any(String) });
    const executed = await api<{ status: string }>(
      'POST',
      `/v1/actions/${asked.body.action_request_id}/execute`,
      { decision_token: asked.body.decision_token },
      agentKey,
    );
    expect([executed.status, executed.body.status]).toEqual([200, 'executed']);
    const denied = await api<ActionDecision>(
      'POST',
      '/v1/actions',
      { type: 'github.pr.merge', parameters: mergeParams },
      agentKey,
    );
    expect(denied.body.status).toBe('pending_approval');
    await expect(merge()).rejects.toThrow(/curl .*(Failed to connect|Connection refused|Couldn't connect)/i);
  });
});
