// The requests real SDKs send (not hand-written fixtures) map to the expected actions: each client
// gets a fetch that captures the request instead of sending it, and the capture goes through the
// connector exactly as the gateway would hand it over. No network, no daemon.
import { Octokit } from '@octokit/rest';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { getConnectorType } from './registry.js';
import type { ActionMatch, ConnectorRequest } from './types.js';

interface Captured {
  req: ConnectorRequest;
  authorization: string | undefined;
}

async function capture(url: string, init: RequestInit | undefined, captured: Captured[]): Promise<void> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => {
    headers[k] = v;
  });
  const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(String(init.body));
  captured.push({
    req: {
      method: (init?.method ?? 'GET').toUpperCase(),
      host: u.hostname,
      port: 443,
      path: u.pathname,
      query: u.searchParams,
      headers,
      body,
    },
    authorization: headers['authorization'],
  });
}

function mapAs(type: string, c: Captured): ActionMatch {
  const connector = getConnectorType(type)!;
  const { body, ...head } = c.req;
  return connector.map(connector.wantsBody(head, {}) ? c.req : head, {});
}

function octokit(captured: Captured[]): Octokit {
  return new Octokit({
    auth: 'dummy-token',
    request: {
      fetch: async (url: string, init?: RequestInit) => {
        await capture(url, init, captured);
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      },
    },
  });
}

describe('@octokit/rest requests', () => {
  it('merge, close, update a file, delete a branch', async () => {
    const captured: Captured[] = [];
    const gh = octokit(captured);
    await gh.rest.pulls.merge({
      owner: 'octo-org',
      repo: 'hello-world',
      pull_number: 42,
      merge_method: 'squash',
    });
    await gh.rest.pulls.update({ owner: 'octo-org', repo: 'hello-world', pull_number: 42, state: 'closed' });
    await gh.rest.repos.createOrUpdateFileContents({
      owner: 'o',
      repo: 'r',
      path: 'docs/a b.md',
      message: 'm',
      content: 'QQ==',
      sha: 'abc',
      branch: 'dev',
    });
    await gh.rest.git.deleteRef({ owner: 'o', repo: 'r', ref: 'heads/feature/x' });
    await gh.rest.repos.get({ owner: 'o', repo: 'r' });
    const maps = captured.map((c) => mapAs('github', c));
    expect(maps.map((m) => m.action)).toEqual([
      'github.pr.merge',
      'github.pr.close',
      'github.file.update',
      'github.branch.delete',
      'github.repo.get',
    ]);
    expect(maps[0]!.params).toMatchObject({
      owner: 'octo-org',
      repo: 'hello-world',
      number: 42,
      merge_method: 'squash',
    });
    expect(maps[2]!.params).toMatchObject({ path: 'docs/a b.md', branch: 'dev', sha: 'abc' });
    expect(maps[3]!.params).toMatchObject({ branch: 'feature/x' });
    expect(captured[0]!.authorization).toBe('token dummy-token');
  });

  it('GraphQL merge as gh sends it', async () => {
    const captured: Captured[] = [];
    await octokit(captured).graphql(
      'mutation PullRequestMerge($input: MergePullRequestInput!) { mergePullRequest(input: $input) { clientMutationId } }',
      { input: { pullRequestId: 'PR_kwDO', mergeMethod: 'REBASE' } },
    );
    const m = mapAs('github', captured[0]!);
    expect(m).toMatchObject({
      action: 'github.pr.merge',
      risk: 'high',
      params: { merge_method: 'rebase', operation_name: 'PullRequestMerge' },
    });
  });
});

describe('openai requests', () => {
  function client(captured: Captured[]): OpenAI {
    return new OpenAI({
      apiKey: 'dummy',
      maxRetries: 0,
      fetch: async (url: string | URL | Request, init?: RequestInit) => {
        await capture(
          typeof url === 'string' ? url : url instanceof URL ? url.href : url.url,
          init,
          captured,
        );
        return new Response(JSON.stringify({ id: 'x', object: 'list', data: [] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
  }

  it('chat completion, responses, embeddings, models', async () => {
    const captured: Captured[] = [];
    const ai = client(captured);
    await ai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 64,
      n: 2,
    });
    await ai.responses.create({ model: 'o4-mini', input: 'hi', max_output_tokens: 100 });
    await ai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await ai.models.list();
    const maps = captured.map((c) => mapAs('openai', c));
    expect(maps.map((m) => m.action)).toEqual([
      'openai.chat.create',
      'openai.response.create',
      'openai.embedding.create',
      'openai.model.list',
    ]);
    expect(maps[0]!.params).toEqual({ model: 'gpt-4o-mini', max_tokens: 64, n: 2 });
    expect(maps[1]!.params).toMatchObject({ model: 'o4-mini', max_output_tokens: 100 });
    expect(captured[0]!.authorization).toBe('Bearer dummy');
  });
});
