// Official SDKs, unmodified, through the real gateway against loopback fakes of api.github.com and
// api.openai.com: the requests they really send map to the expected action names, the decision is
// enforced where the SDK can see it, the planted credential replaces the dummy the SDK was given, and
// an OpenAI stream reaches the client while the upstream is still writing it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Octokit } from '@octokit/rest';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { hashAgentKey } from '../../src/gateway/pipeline/identity.js';
import {
  DUMMY,
  type GatewayHarness,
  GITHUB_SECRET,
  startGatewayHarness,
  type TrafficRow,
} from '../helpers/gateway-harness.js';
import { type FakeOpenAi, startFakeOpenAi } from '../helpers/official-openai-upstream.js';
import { type ProxiedFetch, proxiedFetch } from '../helpers/official-proxied-fetch.js';
import { createTestCa } from '../helpers/test-ca.js';

const OPENAI_SECRET = `sk-PLANTED_${randomBytes(12).toString('hex')}`;
const SDK_KEY = `tf_agent_${randomBytes(24).toString('hex')}`;
const CONTENTS = ['Hel', 'lo', ', ', 'wor', 'ld'];

let h: GatewayHarness;
let openaiUpstream: FakeOpenAi;
let sdkFetch: ProxiedFetch;

beforeAll(async () => {
  // The fake OpenAI must exist before the gateway (its address goes into connectTo), and the gateway
  // must trust the CA that signed it: hence one upstream CA shared with the harness.
  const upstreamCa = await createTestCa();
  openaiUpstream = await startFakeOpenAi(upstreamCa, CONTENTS);
  h = await startGatewayHarness({
    upstreamCa,
    extraConnectTo: [
      { host: 'api.openai.com', port: 443, targetHost: '127.0.0.1', targetPort: openaiUpstream.port },
    ],
    mutate(s) {
      // A dedicated agent allowed only PR actions and chat: the harness's "bot" holds merge for
      // approval and allows almost everything else, which would hide what the SDK calls map to.
      s.agents.push({
        id: 'agent-sdk',
        name: 'sdk',
        port: null,
        mode: 'enforce',
        labels: {},
        proxyAuth: true,
        status: 'active',
        keys: [{ id: 'key-sdk', kind: 'agent', hash: hashAgentKey(SDK_KEY), expiresAt: null }],
      });
      s.connectors.push({
        id: 'c-openai',
        name: 'openai',
        type: 'openai',
        domains: [],
        auth: 'bearer',
        intercept: true,
        options: {},
      });
      s.permissions.push(
        { id: 'sdk-pr', agent: 'sdk', connector: 'github', action: 'github.pr.*', decision: 'allow' },
        { id: 'sdk-chat', agent: 'sdk', connector: 'openai', action: 'openai.chat.*', decision: 'allow' },
      );
    },
  });
  h.keys['sdk'] = SDK_KEY;
  h.gateway.vault.set('openai', new Secret(OPENAI_SECRET));
  sdkFetch = proxiedFetch(h.proxyUrl('sdk'), readFileSync(h.caFile, 'utf8'));
});

afterAll(async () => {
  await sdkFetch?.close();
  await h?.close();
  await openaiUpstream?.close();
});

/** The completed traffic_log row of one request, read back by the id the gateway answered with. */
async function completedRow(requestId: string | null | undefined): Promise<TrafficRow> {
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  const [row] = await h.waitForRows(
    (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
    `request_id = '${requestId}'`,
  );
  return row!;
}

/**
 * What the gateway logged of one request for the ledger: its action event (compact: it refers to the
 * traffic_log row by traffic_id) and the parameters the row carries.
 */
async function loggedAction(requestId: string): Promise<Record<string, unknown>> {
  const row = await completedRow(requestId);
  const event = (await h.gateway.outbox.pending(10_000)).find(
    (e) => (JSON.parse(e.payload) as { traffic_id?: number }).traffic_id === row.id,
  );
  expect(event).toBeDefined();
  return {
    event_type: event!.event_type,
    ...(JSON.parse(event!.payload) as Record<string, unknown>),
    params: row.params === null ? null : (JSON.parse(row.params) as unknown),
  };
}

describe('@octokit/rest through the gateway', () => {
  // Octokit logs every failed request to the console; the refusal below is expected, so keep it quiet.
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const octokit = () => new Octokit({ auth: DUMMY, log: quiet, request: { fetch: sdkFetch.fetch } });

  it('pulls.merge is github.pr.merge, allowed, with the planted token upstream', async () => {
    const res = await octokit().pulls.merge({ owner: 'octo', repo: 'hello', pull_number: 7 });
    expect(res.status).toBe(200);
    expect(sdkFetch.sent.at(-1)?.headers['authorization']).toBe(`token ${DUMMY}`);
    const requestId = String(res.headers['x-tameflare-request-id']);
    const row = await completedRow(requestId);
    expect(row).toMatchObject({
      agent: 'sdk',
      connector: 'github',
      action: 'github.pr.merge',
      method: 'PUT',
      decision: 'allow',
      status: 200,
    });
    expect((await loggedAction(requestId))['params']).toMatchObject({
      owner: 'octo',
      repo: 'hello',
      number: 7,
    });
    const seen = h.github.seen.find((s) => s.method === 'PUT' && s.url === '/repos/octo/hello/pulls/7/merge');
    expect(seen?.headers['authorization']).toBe(`Bearer ${GITHUB_SECRET}`);
    expect(JSON.stringify(seen?.rawHeaders)).not.toContain(DUMMY);
  });

  it('repos.delete is refused: the SDK throws 403 with problem+json naming github.repo.delete', async () => {
    const error = await octokit()
      .repos.delete({ owner: 'octo', repo: 'doomed' })
      .then(
        () => undefined,
        (e: unknown) =>
          e as { status: number; response?: { headers: Record<string, string>; data: unknown } },
      );
    expect(error?.status).toBe(403);
    expect(error?.response?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    // Octokit reads a body as text only when its type has a charset (without one it arrived as bytes
    // and the SDK said "Unknown error"): now its message is the problem document, detail included.
    expect(String(error)).toContain('no permission for agent sdk on connector github');
    const data = error!.response!.data;
    expect(typeof data).toBe('string');
    expect(JSON.parse(data as string)).toMatchObject({
      code: 'permission_denied',
      status: 403,
      agent: 'sdk',
      action: 'github.repo.delete',
    });
    const row = await completedRow(error!.response!.headers['x-tameflare-request-id']);
    expect(row).toMatchObject({ action: 'github.repo.delete', decision: 'deny', status: 403 });
    expect(h.github.seen.some((s) => s.url === '/repos/octo/doomed')).toBe(false);
  });

  it('graphql mergePullRequest is github.pr.merge, from the parsed mutation', async () => {
    const before = h.rows("agent = 'sdk' AND path = '/graphql'").length;
    await octokit().graphql(
      `mutation Merge($id: ID!) {
        mergePullRequest(input: { pullRequestId: $id, mergeMethod: SQUASH }) { pullRequest { merged } }
      }`,
      { id: 'PR_kwDOAbc123' },
    );
    const rows = await h.waitForRows(
      (rs) => rs.length === before + 1 && rs.at(-1)!.completed_at !== null,
      "agent = 'sdk' AND path = '/graphql'",
    );
    expect(rows.at(-1)).toMatchObject({
      connector: 'github',
      action: 'github.pr.merge',
      method: 'POST',
      decision: 'allow',
      status: 200,
    });
    // The variable ($id) is resolved and the enum lower-cased, so merge policies read the same
    // parameters as for REST.
    expect((await loggedAction(rows.at(-1)!.request_id))['params']).toMatchObject({
      pull_request_id: 'PR_kwDOAbc123',
      merge_method: 'squash',
      operation: 'mutation',
      mutations: ['mergePullRequest'],
    });
    const seen = h.github.seen.filter((s) => s.url === '/graphql').at(-1);
    expect(seen?.headers['authorization']).toBe(`Bearer ${GITHUB_SECRET}`);
    expect(seen?.bodyBytes).toBeGreaterThan(0);
  });
});

describe('openai through the gateway', () => {
  it('a streamed chat completion arrives event by event, as openai.chat.create', async () => {
    const client = new OpenAI({ apiKey: `sk-${DUMMY}`, fetch: sdkFetch.fetch, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    expect(sdkFetch.sent.at(-1)?.headers['authorization']).toBe(`Bearer sk-${DUMMY}`);

    const received: string[] = [];
    let upstreamWrittenAtFirst = -1;
    for await (const chunk of stream) {
      if (received.length === 0) {
        // The upstream holds the rest of the stream until this release: receiving the first event
        // here proves the gateway forwarded it before the upstream had written the others.
        upstreamWrittenAtFirst = openaiUpstream.written;
        openaiUpstream.release();
      }
      received.push(chunk.choices[0]?.delta.content ?? '');
    }
    expect(received).toEqual(CONTENTS);
    expect(upstreamWrittenAtFirst).toBe(1);
    expect(openaiUpstream.releasedBy).toBe('client');

    const requestId = response.headers.get('x-tameflare-request-id');
    const row = await completedRow(requestId);
    expect(row).toMatchObject({
      agent: 'sdk',
      connector: 'openai',
      action: 'openai.chat.create',
      method: 'POST',
      host: 'api.openai.com',
      decision: 'allow',
      status: 200,
    });
    const event = await loggedAction(requestId!);
    expect(event).toMatchObject({ event_type: 'action.allowed', action: 'openai.chat.create' });
    expect(event['params']).toMatchObject({ model: 'gpt-4o-mini', stream: true });

    const [seen] = openaiUpstream.seen;
    expect(seen?.headers['authorization']).toBe(`Bearer ${OPENAI_SECRET}`);
    expect(JSON.stringify(seen?.headers)).not.toContain(DUMMY);
    expect(JSON.parse(seen!.body)).toMatchObject({ model: 'gpt-4o-mini', stream: true });
  });

  it("a refusal reaches the SDK's error message: the problem carries OpenAI's error shape too", async () => {
    const client = new OpenAI({ apiKey: `sk-${DUMMY}`, fetch: sdkFetch.fetch, maxRetries: 0 });
    const error = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).then(
      () => undefined,
      (err: unknown) => err as { status?: number; message?: string; code?: string },
    );
    expect(error?.status).toBe(403);
    expect(error?.code).toBe('permission_denied');
    expect(error?.message).toContain('openai.embedding.create');
    expect(error?.message).not.toContain('no body');
  });
});
