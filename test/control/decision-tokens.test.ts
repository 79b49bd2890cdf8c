// SDK mode on a real control plane: /v1/actions with agent keys, decision tokens checked against
// /.well-known/jwks.json, single use, replay (second use, wrong agent, altered parameters, expired,
// unknown key, forged), key rotation, and pending requests followed through the approvals seam.
import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import type { ActionApprovals, ApprovalState } from '../../src/control/actions/action-approvals.js';
import { signDecisionToken } from '../../src/tokens/decision-token.js';
import { createDecisionTokenRedeemer } from '../../src/tokens/decision-token-redeemer.js';
import { paramsDigest } from '../../src/tokens/params-digest.js';
import { signingKeyRing } from '../../src/tokens/signing-key-ring.js';
import type { ActionDecision } from '../../src/wire/actions.js';
import { freePort } from '../helpers/cli-process.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

/** The approvals seam, driven by the test as an approver would (the approvals service plugs in here). */
const approvals = new Map<string, ApprovalState>();
const used = new Set<string>();
let opened = 0;
const testApprovals: ActionApprovals = {
  async open() {
    const id = `apv_test_${++opened}`;
    approvals.set(id, 'pending');
    return { approvalId: id, state: 'pending' };
  },
  async state(id) {
    return approvals.get(id) ?? 'expired';
  },
  async use(id) {
    if (approvals.get(id) !== 'approved' || used.has(id)) return false;
    used.add(id);
    return true;
  },
};

let h: ControlHarness;
const keys: Record<string, string> = {};
const GATEWAY = 'default';

async function act(body: unknown, key = keys.bot!) {
  return h.api<ActionDecision & { code: string; detail: string }>('POST', '/v1/actions', body, key);
}
async function redeem(
  token: string,
  expect: { agent: string; action: string; params: Record<string, unknown> },
) {
  const res = await fetch(`${h.url}/internal/decision-tokens/redeem`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.serviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      token,
      agent: expect.agent,
      action: expect.action,
      params_digest: paramsDigest(expect.params),
      gateway: GATEWAY,
    }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { code?: string; detail?: string; action_request_id?: string },
  };
}

beforeAll(async () => {
  h = await startControlHarness({ actionApprovals: testApprovals });
  for (const name of ['bot', 'other']) {
    const r = await h.api<{ key: string }>('POST', '/v1/agents', { name });
    keys[name] = r.body.key;
  }
  expect((await h.api('POST', '/v1/connectors', { type: 'github' })).status).toBe(201);
  for (const [action, decision] of [
    ['github.pr.create', 'allow'],
    ['github.pr.merge', 'require_approval'],
    ['github.repo.delete', 'deny'],
  ]) {
    const r = await h.api('POST', '/v1/permissions', { agent: 'bot', connector: 'github', action, decision });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  await h.api('POST', '/v1/permissions', {
    agent: 'other',
    connector: 'github',
    action: 'github.*',
    decision: 'allow',
  });
});
afterAll(async () => {
  await h?.close();
});

const PR = { owner: 'octo', repo: 'hello', number: 7 };

describe('POST /v1/actions', () => {
  it('allows with an ES256 decision token that verifies against the published JWKS', async () => {
    const res = await act({
      type: 'github.pr.create',
      parameters: PR,
      resource: { provider: 'github', target: 'octo/hello' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'allowed',
      agent: 'bot',
      action: 'github.pr.create',
      connector: 'github',
    });
    const token = res.body.decision_token!;
    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'tameflare-decision+jwt' });
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), { algorithms: ['ES256'] });
    expect(payload).toMatchObject({
      sub: 'bot',
      act: 'github.pr.create',
      pd: paramsDigest(PR),
      arq: res.body.action_request_id,
      aud: 'tameflare',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(typeof payload.jti).toBe('string');
  });

  it('denies with the reason, and records every request in the audit log', async () => {
    const res = await act({ type: 'github.repo.delete', parameters: { owner: 'octo', repo: 'hello' } });
    expect(res.body).toMatchObject({ status: 'denied', decision_token: null, code: 'permission_denied' });
    expect(res.body.reason).toMatch(/github\.repo\.delete/);
    const ev = await h.db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('event_type', '=', 'action_request.denied')
      .executeTakeFirstOrThrow();
    expect(ev.actor).toBe('agent:bot');
  });

  it('refuses people, strangers, suspended agents and unknown fields', async () => {
    const body = { type: 'github.pr.create' };
    expect((await act(body, h.token)).status).toBe(401);
    expect((await act(body, 'tf_agent_not-a-key')).status).toBe(401);
    expect((await h.api('POST', '/v1/actions', body, '')).status).toBe(401);
    expect((await act({ ...body, approve_yourself: true })).status).toBe(400);
    expect((await act({ type: 'Not An Action' })).status).toBe(400);
    await h.api('POST', '/v1/agents/other/suspend');
    const suspended = await act(body, keys.other);
    expect([suspended.status, suspended.body.code]).toEqual([403, 'agent_suspended']);
    await h.api('POST', '/v1/agents/other/resume');
  });

  it('works with a session key, not with a revoked one', async () => {
    const s = await h.api<{ id: string; key: string }>('POST', '/v1/agents/bot/session-keys', {});
    expect((await act({ type: 'github.pr.create', parameters: PR }, s.body.key)).body.status).toBe('allowed');
    await h.api('DELETE', `/v1/agents/bot/session-keys/${s.body.id}`);
    expect((await act({ type: 'github.pr.create' }, s.body.key)).status).toBe(401);
  });

  it('shows an agent only its own requests', async () => {
    const mine = await act({ type: 'github.pr.create', parameters: PR });
    expect(
      (await h.api('GET', `/v1/actions/${mine.body.action_request_id}`, undefined, keys.bot)).status,
    ).toBe(200);
    expect(
      (await h.api('GET', `/v1/actions/${mine.body.action_request_id}`, undefined, keys.other)).status,
    ).toBe(404);
  });
});

describe('decision tokens are single-use and bound to agent, action and parameters', () => {
  it('execute spends a token once (second use: decision_token_used)', async () => {
    const d = (await act({ type: 'github.pr.create', parameters: PR })).body;
    const path = `/v1/actions/${d.action_request_id}/execute`;
    const first = await h.api<{ status: string }>(
      'POST',
      path,
      { decision_token: d.decision_token },
      keys.bot,
    );
    expect([first.status, first.body.status]).toEqual([200, 'executed']);
    const again = await h.api<{ code: string }>('POST', path, { decision_token: d.decision_token }, keys.bot);
    expect([again.status, again.body.code]).toEqual([409, 'decision_token_used']);
    // The spent request hands out no more tokens.
    const after = (
      await h.api<ActionDecision>('GET', `/v1/actions/${d.action_request_id}`, undefined, keys.bot)
    ).body;
    expect([after.status, after.decision_token]).toEqual(['executed', null]);
  });

  it('the gateway path refuses replay, another agent, altered parameters and another action', async () => {
    const d = (await act({ type: 'github.pr.create', parameters: PR })).body;
    const token = d.decision_token!;
    const wrongAgent = await redeem(token, { agent: 'other', action: 'github.pr.create', params: PR });
    expect([wrongAgent.status, wrongAgent.body.code]).toEqual([403, 'decision_token_invalid']);
    expect(wrongAgent.body.detail).toMatch(/issued to agent bot, not other/);
    const altered = await redeem(token, {
      agent: 'bot',
      action: 'github.pr.create',
      params: { ...PR, number: 8 },
    });
    expect(altered.body.detail).toMatch(/different parameters/);
    const otherAction = await redeem(token, { agent: 'bot', action: 'github.pr.merge', params: PR });
    expect(otherAction.body.detail).toMatch(/allows github\.pr\.create, not github\.pr\.merge/);
    // None of those spent it: the right request still can, once.
    const ok = await redeem(token, { agent: 'bot', action: 'github.pr.create', params: PR });
    expect([ok.status, ok.body.action_request_id]).toEqual([200, d.action_request_id]);
    const replay = await redeem(token, { agent: 'bot', action: 'github.pr.create', params: PR });
    expect([replay.status, replay.body.code]).toEqual([409, 'decision_token_used']);
    const ev = await h.db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('event_type', '=', 'action_request.executed')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(ev.actor).toBe('gateway:default');
  });

  it('refuses an expired token, a token of an unknown key, a forged signature and alg none', async () => {
    const d = (await act({ type: 'github.pr.create', parameters: PR })).body;
    const ring = signingKeyRing(h.db.db, `${h.dataDir}/signing.key`, () => new Date());
    const claims = {
      agent: 'bot',
      action: 'github.pr.create',
      paramsDigest: paramsDigest(PR),
      actionRequestId: d.action_request_id,
      nonce: 'n',
    };
    const past = new Date(Date.now() - 600_000);
    const expired = await signDecisionToken(
      await ring.current(),
      { ...claims, expiresAt: new Date(past.getTime() + 120_000) },
      past,
    );
    const want = { agent: 'bot', action: 'github.pr.create', params: PR };
    expect((await redeem(expired, want)).body.detail).toMatch(/expired/);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const unknown = await signDecisionToken(
      { kid: 'not-published', privateKey: stranger },
      { ...claims, expiresAt: new Date(Date.now() + 60_000) },
      new Date(),
    );
    expect((await redeem(unknown, want)).body.detail).toMatch(/no published key not-published/);
    const [head, body, sig] = d.decision_token!.split('.') as [string, string, string];
    const forgedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sub: 'other' }),
    ).toString('base64url');
    expect((await redeem(`${head}.${forgedBody}.${sig}`, { ...want, agent: 'other' })).body.detail).toMatch(
      /does not verify/,
    );
    const none = await new SignJWT({
      act: 'github.pr.create',
      pd: paramsDigest(PR),
      arq: d.action_request_id,
    })
      .setProtectedHeader({
        alg: 'HS256',
        kid: decodeProtectedHeader(d.decision_token!).kid!,
        typ: 'tameflare-decision+jwt',
      })
      .setSubject('bot')
      .setJti('x')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('guessed-secret-guessed-secret-32'));
    expect((await redeem(none, want)).status).toBe(403);
    // The real token is still good after all of that.
    expect((await redeem(d.decision_token!, want)).status).toBe(200);
  });
});

describe('pending approval', () => {
  it('stays pending until approved, then hands out tokens that share one nonce', async () => {
    const d = (await act({ type: 'github.pr.merge', parameters: PR })).body;
    expect(d).toMatchObject({ status: 'pending_approval', decision_token: null });
    expect(d.approval_id).toMatch(/^apv_test_/);
    const get = async () =>
      (await h.api<ActionDecision>('GET', `/v1/actions/${d.action_request_id}`, undefined, keys.bot)).body;
    expect((await get()).status).toBe('pending_approval');
    approvals.set(d.approval_id!, 'approved');
    const first = await get();
    const second = await get();
    expect([first.status, second.status]).toEqual(['approved', 'approved']);
    const jti = (t: string) =>
      JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti as string;
    expect(jti(first.decision_token!)).toBe(jti(second.decision_token!));
    const want = { agent: 'bot', action: 'github.pr.merge', params: PR };
    expect((await redeem(second.decision_token!, want)).status).toBe(200);
    expect((await redeem(first.decision_token!, want)).status).toBe(409);
  });

  it('ends rejected when the approval is denied', async () => {
    const d = (await act({ type: 'github.pr.merge', parameters: { ...PR, number: 9 } })).body;
    approvals.set(d.approval_id!, 'denied');
    const after = (
      await h.api<ActionDecision>('GET', `/v1/actions/${d.action_request_id}`, undefined, keys.bot)
    ).body;
    expect([after.status, after.decision_token]).toEqual(['rejected', null]);
  });
});

describe('keys', () => {
  it('rotate: new tokens use the new key, the old key stays published until its tokens expire, anchors still verify', async () => {
    const before = (await act({ type: 'github.pr.create', parameters: PR })).body;
    const oldKid = decodeProtectedHeader(before.decision_token!).kid;
    const viewer = await h.tokenWithRole('admin');
    expect((await h.api('POST', '/v1/keys/rotate', {}, viewer)).status).toBe(403);
    const rotated = await h.api<{ kid: string; previous_kid: string; previous_published_until: string }>(
      'POST',
      '/v1/keys/rotate',
      {},
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.previous_kid).toBe(oldKid);
    expect(Date.parse(rotated.body.previous_published_until) - Date.now()).toBeGreaterThan(120_000);
    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, rotated.body.kid].sort());
    const after = (await act({ type: 'github.pr.create', parameters: PR })).body;
    expect(decodeProtectedHeader(after.decision_token!).kid).toBe(rotated.body.kid);
    // A token signed before the rotation still works (once).
    expect(
      (await redeem(before.decision_token!, { agent: 'bot', action: 'github.pr.create', params: PR })).status,
    ).toBe(200);
    const list = (
      await h.api<{ keys: { kid: string; current: boolean; published: boolean }[] }>('GET', '/v1/keys')
    ).body.keys;
    expect(list.find((k) => k.current)?.kid).toBe(rotated.body.kid);
    expect(list.find((k) => k.kid === oldKid)).toMatchObject({ current: false, published: true });
    expect((await h.api<{ ok: boolean }>('GET', '/v1/audit/verify')).body.ok).toBe(true);
  });
});

describe("the gateway's redeemer", () => {
  const logged: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
  const redeemerAt = (url: string) =>
    createDecisionTokenRedeemer({
      controlPlaneUrl: () => url,
      serviceToken: new Secret(h.serviceToken),
      gatewayName: 'default',
      logger,
      now: () => new Date(),
    });

  it('verifies against the JWKS and spends through the control plane, once', async () => {
    const d = (await act({ type: 'github.pr.create', parameters: PR })).body;
    const r = redeemerAt(h.url);
    const want = { agent: 'bot', action: 'github.pr.create', params: PR };
    expect(await r.redeem(d.decision_token!, want)).toEqual({
      ok: true,
      actionRequestId: d.action_request_id,
    });
    expect(await r.redeem(d.decision_token!, want)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/already used/),
    });
    expect(await r.redeem(d.decision_token!, { ...want, params: {} })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/different parameters/),
    });
  });

  it('ignores the token, and says so in the log, when the control plane cannot be reached', async () => {
    const d = (await act({ type: 'github.pr.create', parameters: PR })).body;
    const r = redeemerAt(`http://127.0.0.1:${await freePort()}`);
    expect(
      await r.redeem(d.decision_token!, { agent: 'bot', action: 'github.pr.create', params: PR }),
    ).toEqual({
      ok: false,
      reason: 'the control plane could not be reached to verify it',
    });
    expect(logged.join('')).toMatch(/decision token ignored: the control plane could not be reached/);
    expect(logged.join('')).not.toContain(d.decision_token!);
    // Unspent: once the control plane is reachable again it still works.
    expect(
      (
        await redeemerAt(h.url).redeem(d.decision_token!, {
          agent: 'bot',
          action: 'github.pr.create',
          params: PR,
        })
      ).ok,
    ).toBe(true);
  });
});
