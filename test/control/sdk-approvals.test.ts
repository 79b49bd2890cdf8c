// SDK mode with the real approvals service: a pending action request is an approval (source sdk)
// that people decide through /v1/approvals; approving hands the agent a decision token once, denying
// ends the request rejected, and a grant answers the next identical request at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDecision } from '../../src/wire/actions.js';
import type { ApprovalWire } from '../../src/wire/approvals.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
let botKey: string;
let viewer: string;

const act = async (parameters: Record<string, unknown>) =>
  (await h.api<ActionDecision>('POST', '/v1/actions', { type: 'github.pr.merge', parameters }, botKey)).body;
const follow = async (id: string) =>
  (await h.api<ActionDecision>('GET', `/v1/actions/${id}`, undefined, botKey)).body;

beforeAll(async () => {
  h = await startControlHarness();
  botKey = (await h.api<{ key: string }>('POST', '/v1/agents', { name: 'merge-bot' })).body.key;
  expect((await h.api('POST', '/v1/connectors', { type: 'github' })).status).toBe(201);
  const perm = await h.api('POST', '/v1/permissions', {
    agent: 'merge-bot',
    connector: 'github',
    action: 'github.pr.merge',
    decision: 'require_approval',
  });
  expect(perm.status, JSON.stringify(perm.body)).toBe(201);
  viewer = await h.tokenWithRole('viewer');
});
afterAll(async () => {
  await h?.close();
});

describe('SDK mode through the approvals service', () => {
  it('opens an sdk approval; approving it yields one decision token, spent once', async () => {
    const d = await act({ owner: 'o', repo: 'r', number: 1 });
    expect(d).toMatchObject({ status: 'pending_approval', decision_token: null });
    expect(d.approval_id).toMatch(/^apv_/);
    const approval = (await h.api<{ approval: ApprovalWire }>('GET', `/v1/approvals/${d.approval_id}`)).body
      .approval;
    expect(approval).toMatchObject({
      source: 'sdk',
      status: 'pending',
      agent: 'merge-bot',
      action: 'github.pr.merge',
      method: null,
    });
    // The same request again joins the approval rather than opening a second one.
    const again = await act({ owner: 'o', repo: 'r', number: 1 });
    expect(again.approval_id).toBe(d.approval_id);
    expect((await follow(d.action_request_id)).status).toBe('pending_approval');

    // A viewer may not decide it; a member (here the owner) may.
    expect((await h.api('POST', `/v1/approvals/${d.approval_id}/approve`, {}, viewer)).status).toBe(403);
    expect((await h.api('POST', `/v1/approvals/${d.approval_id}/approve`, {})).status).toBe(200);

    const approved = await follow(d.action_request_id);
    expect(approved.status).toBe('approved');
    expect(approved.decision_token).toMatch(/^ey/);
    // The approval was spent on this request: the twin that joined it stays pending.
    expect((await follow(again.action_request_id)).status).toBe('pending_approval');
    const used = (await h.api<{ approval: ApprovalWire }>('GET', `/v1/approvals/${d.approval_id}`)).body
      .approval;
    expect(used.used_at).not.toBeNull();

    const execute = (token: string) =>
      h.api('POST', `/v1/actions/${d.action_request_id}/execute`, { decision_token: token }, botKey);
    expect((await execute(approved.decision_token!)).status).toBe(200);
    expect((await execute(approved.decision_token!)).body).toMatchObject({ code: 'decision_token_used' });
  });

  it('ends rejected when the approval is denied', async () => {
    const d = await act({ owner: 'o', repo: 'r', number: 2 });
    expect((await h.api('POST', `/v1/approvals/${d.approval_id}/deny`, { note: 'no' })).status).toBe(200);
    expect(await follow(d.action_request_id)).toMatchObject({ status: 'rejected', decision_token: null });
  });

  it('a grant answers the next request for the action at once', async () => {
    const d = await act({ owner: 'o', repo: 'r', number: 3 });
    const approved = await h.api('POST', `/v1/approvals/${d.approval_id}/approve`, { grant_minutes: 10 });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const next = await act({ owner: 'o', repo: 'r', number: 4 });
    expect(next.status).toBe('approved');
    expect(next.decision_token).toMatch(/^ey/);
  });
});
