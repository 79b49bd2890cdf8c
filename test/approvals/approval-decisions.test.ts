// Who may decide, grants and expiry, against both roles built in this process so the clock can be
// moved (the only thing mocked): a member approves and a viewer cannot, a rule's approver roles are
// enforced, "approve for N minutes" lets repeats through within its window and not after, and an
// approval nobody decides expires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalWire, DecideApprovalAnswer, GrantWire } from '../../src/wire/approvals.js';
import { json } from '../cli/cli-harness.js';
import {
  approvalFor,
  configureApprovals,
  curlVia,
  type InProcessDaemon,
  problemOf,
  type RecordingUpstream,
  startInProcess,
  startRecordingUpstream,
} from './approval-helpers.js';

let t = Date.parse('2031-05-06T07:00:00Z');
const clock = () => new Date(t);
let d: InProcessDaemon;
let upstream: RecordingUpstream;
let proxy: string;
let member: string;
let viewer: string;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  d = await startInProcess({ now: clock, upstreamPort: upstream.server.port });
  const key = await configureApprovals(d.cli, d.dataDir);
  proxy = `http://bot:${key}@${new URL(d.gatewayUrl).host}`;
  member = await d.tokenWithRole('member');
  viewer = await d.tokenWithRole('viewer');
}, 60_000);

afterAll(async () => {
  await d?.close();
  await upstream?.server.close();
});

describe('deciding', () => {
  it('a member may approve; a viewer may look but not decide', async () => {
    const held = curlVia(proxy, 'http://plain.test/roles');
    const a = await approvalFor(d.control, '/roles');
    const listed = await d.api<{ approvals: ApprovalWire[] }>(
      'GET',
      '/v1/approvals?status=pending',
      undefined,
      viewer,
    );
    expect(listed.status).toBe(200);
    expect(listed.body.approvals.map((x) => x.id)).toContain(a.id);
    const refused = await d.api('POST', `/v1/approvals/${a.id}/approve`, {}, viewer);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'insufficient_role', required_role: 'member' });
    const ok = await d.api<DecideApprovalAnswer>(
      'POST',
      `/v1/approvals/${a.id}/approve`,
      { note: 'fine' },
      member,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.approval).toMatchObject({
      status: 'approved',
      decided_by: 'token:t-member',
      note: 'fine',
    });
    expect((await held).status).toBe(200);
  });

  it("enforces the rule's approver roles: an admin rule refuses a member, the owner may", async () => {
    const held = curlVia(proxy, 'http://plain.test/finance/payout');
    const a = await approvalFor(d.control, '/finance/payout');
    expect(a).toMatchObject({ approver_roles: ['admin'], required_role: 'admin' });
    expect(a.reasons.join(' ')).toContain('finance paths need an admin');
    const refused = await d.api('POST', `/v1/approvals/${a.id}/deny`, {}, member);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'insufficient_role', required_role: 'admin', role: 'member' });
    expect((await d.api('POST', `/v1/approvals/${a.id}/approve`, {})).status).toBe(200);
    expect((await held).status).toBe(200);
  });

  it('rejects bad input with a clear answer', async () => {
    const unknown = await d.api('POST', '/v1/approvals/apv_00000000000000000000/approve', {});
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const malformed = await d.api('POST', '/v1/approvals/not-an-id/approve', {});
    expect([malformed.status, malformed.body.code]).toEqual([400, 'validation_failed']);
    const tooLong = await d.api('POST', '/v1/approvals/apv_00000000000000000000/approve', {
      grant_minutes: 100_000,
    });
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'validation_failed']);
    const usage = await d.cli(['approvals', 'approve', 'apv_00000000000000000000', '--for', '90s']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--for: invalid duration "90s"');
    const plain = await fetch(`${d.controlUrl}/v1/approvals/stream`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(plain.status).toBe(400);
  });
});

describe('grants ("approve for N minutes")', () => {
  it('let the same agent run the same action within the window, covering requests already waiting, and not after', async () => {
    const a = curlVia(proxy, 'http://plain.test/grant-a');
    const first = await approvalFor(d.control, '/grant-a');
    const b = curlVia(proxy, 'http://plain.test/grant-b');
    const second = await approvalFor(d.control, '/grant-b');
    const approve = await d.cli(['approvals', 'approve', first.id, '--for', '5m', '--json']);
    expect(approve.code, approve.stderr).toBe(0);
    const answer = json<DecideApprovalAnswer>(approve);
    expect(answer.grant).toMatchObject({ agent: 'bot', action: 'http.get', approval_id: first.id });
    expect(answer.grant!.expires_at).toBe(new Date(t + 5 * 60_000).toISOString());
    expect(answer.also_approved).toEqual([second.id]);
    expect([(await a).status, (await b).status]).toEqual([200, 200]);

    // Within the window: repeats and other GETs pass at once, no new approval.
    for (const path of ['/grant-a', '/grant-a', '/grant-c']) {
      expect((await curlVia(proxy, `http://plain.test${path}`)).status).toBe(200);
    }
    // Another action (POST) is not covered.
    const post = curlVia(proxy, 'http://plain.test/grant-post', ['-d', 'x=1']);
    const postApproval = await approvalFor(d.control, '/grant-post');
    expect((await d.api('POST', `/v1/approvals/${postApproval.id}/deny`, {})).status).toBe(200);
    expect((await post).status).toBe(403);
    const grants = await d.api<{ grants: GrantWire[] }>('GET', '/v1/approvals/grants');
    expect(grants.body.grants.map((g) => g.id)).toEqual([answer.grant!.id]);

    t += 6 * 60_000; // the window has passed
    const later = curlVia(proxy, 'http://plain.test/grant-a');
    const held = await approvalFor(d.control, '/grant-a', (x) => x.id !== first.id);
    expect(held.status).toBe('pending');
    expect((await d.api('POST', `/v1/approvals/${held.id}/deny`, {})).status).toBe(200);
    expect((await later).status).toBe(403);
    expect((await d.api<{ grants: GrantWire[] }>('GET', '/v1/approvals/grants')).body.grants).toEqual([]);
  });

  it('can be revoked before it runs out', async () => {
    const held = curlVia(proxy, 'http://plain.test/revocable');
    const a = await approvalFor(d.control, '/revocable');
    const answer = (
      await d.api<DecideApprovalAnswer>('POST', `/v1/approvals/${a.id}/approve`, { grant_minutes: 30 })
    ).body;
    expect((await held).status).toBe(200);
    expect((await curlVia(proxy, 'http://plain.test/revocable')).status).toBe(200);
    const revoke = await d.cli(['approvals', 'revoke-grant', answer.grant!.id]);
    expect(revoke.code, revoke.stderr).toBe(0);
    const again = curlVia(proxy, 'http://plain.test/revocable');
    const next = await approvalFor(d.control, '/revocable', (x) => x.id !== a.id);
    expect((await d.api('POST', `/v1/approvals/${next.id}/deny`, {}, member)).status).toBe(200);
    expect((await again).status).toBe(403);
  });
});

describe('expiry', () => {
  it('keeps an undecided approval open until it expires (an hour), then a retry needs a new one', async () => {
    const gaveUp = await curlVia(proxy, 'http://plain.test/forgotten', ['-m', '1']);
    expect(gaveUp.status).toBe(0);
    const a = await approvalFor(d.control, '/forgotten');
    expect(a.expires_at).toBe(new Date(Date.parse(a.created_at) + 3600_000).toISOString());
    t += 30 * 60_000;
    expect(await d.context.control!.approvals.expireDue()).toBe(0);
    t += 31 * 60_000;
    expect(await d.context.control!.approvals.expireDue()).toBe(1);
    const expired = await d.api<{ approval: ApprovalWire }>('GET', `/v1/approvals/${a.id}`);
    expect(expired.body.approval).toMatchObject({ status: 'expired', decided_by: 'system' });
    const late = await d.api('POST', `/v1/approvals/${a.id}/approve`, {});
    expect([late.status, late.body.code]).toEqual([409, 'conflict']);
    const retry = curlVia(proxy, 'http://plain.test/forgotten');
    const fresh = await approvalFor(d.control, '/forgotten', (x) => x.id !== a.id);
    expect((await d.api('POST', `/v1/approvals/${fresh.id}/deny`, {})).status).toBe(200);
    const r = await retry;
    expect(r.status).toBe(403);
    expect(problemOf(r.body).approval_id).toBe(fresh.id);
    expect(upstream.count('/forgotten')).toBe(0);
  });
});
