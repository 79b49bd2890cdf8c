// Every error the control plane answers is RFC 9457 problem+json from the one code catalogue, with
// the compatibility members `message` and `error`: its own errors, validation, unknown routes,
// Fastify's own 4xx and a real 5xx (a database that is gone), which must not leak internals.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/codes.js';
import type { ProblemDocument } from '../../src/wire/problem.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness();
});
afterAll(async () => {
  await h?.close();
});

async function send(
  method: string,
  path: string,
  init: { body?: string; contentType?: string; token?: string | null } = {},
): Promise<{ status: number; type: string | null; requestId: string | null; problem: ProblemDocument }> {
  const token = init.token === undefined ? h.token : init.token;
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.contentType ? { 'content-type': init.contentType } : {}),
    },
    body: init.body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    requestId: res.headers.get('x-tameflare-request-id'),
    problem: (await res.json()) as ProblemDocument,
  };
}

/** The members every problem has, consistent with each other and with the catalogue. */
function expectProblem(r: Awaited<ReturnType<typeof send>>, code: keyof typeof ERROR_CODES, status: number) {
  expect(r.status).toBe(status);
  expect(r.type).toMatch(/^application\/problem\+json/);
  const p = r.problem;
  expect(p.code).toBe(code);
  expect(p.status).toBe(status);
  expect(ERROR_CODES[code].status).toBe(status);
  expect(p.type).toBe(`https://tameflare.dev/problems/${code}`);
  expect(p.title).toBe(ERROR_CODES[code].title);
  expect(p.detail.length).toBeGreaterThan(0);
  expect(p.message).toBe(`${p.title}: ${p.detail}`);
  expect(p.error).toEqual({ type: code, code, message: p.message });
  expect(p.request_id).toBe(r.requestId);
  expect(p.request_id).toMatch(/^[0-9a-f-]{36}$/);
}

describe('control plane errors', () => {
  it('answers its own errors as problems, with their extension members', async () => {
    const missing = await send('GET', '/v1/agents/nobody');
    expectProblem(missing, 'not_found', 404);
    expect(missing.problem.detail).toBe('no agent named nobody');

    const viewer = await h.tokenWithRole('viewer');
    const denied = await send('POST', '/v1/agents', { token: viewer });
    expectProblem(denied, 'insufficient_role', 403);
    expect(denied.problem).toMatchObject({ required_role: 'admin', role: 'viewer' });

    expectProblem(await send('GET', '/v1/agents', { token: null }), 'unauthenticated', 401);
  });

  it('answers validation failures as problems naming the field', async () => {
    const r = await send('POST', '/v1/agents', {
      body: JSON.stringify({ name: 'Not A Name' }),
      contentType: 'application/json',
    });
    expectProblem(r, 'validation_failed', 400);
    expect(r.problem.detail).toContain('body/name');
  });

  it('answers an unknown route as a problem, without asking for a token first', async () => {
    const r = await send('GET', '/v1/no-such-thing?x=1', { token: null });
    expectProblem(r, 'not_found', 404);
    expect(r.problem.detail).toBe('no route GET /v1/no-such-thing');
  });

  it("answers Fastify's own client errors as problems", async () => {
    const badJson = await send('POST', '/v1/agents', { body: '{"name":', contentType: 'application/json' });
    expectProblem(badJson, 'bad_request', 400);

    const media = await send('POST', '/v1/agents', { body: 'name=x', contentType: 'text/csv' });
    expectProblem(media, 'unsupported_media_type', 415);

    const big = await send('POST', '/v1/policies', {
      body: JSON.stringify({ yaml: 'x'.repeat(1024 * 1024 + 1) }),
      contentType: 'application/json',
    });
    expectProblem(big, 'request_too_large', 413);
  });

  it('answers a server failure as a bare internal_error, never its cause', async () => {
    const broken = await startControlHarness();
    try {
      // A real failure: the database under the running server is gone.
      await broken.db.close();
      const r = await fetch(`${broken.url}/v1/agents`, {
        headers: { authorization: `Bearer ${broken.token}` },
      });
      const p = (await r.json()) as ProblemDocument;
      expect(r.status).toBe(500);
      expect(p.code).toBe('internal_error');
      expect(p.detail).toBe(ERROR_CODES.internal_error.title);
      expect(JSON.stringify(p)).not.toMatch(/sqlite|database|stack|\.ts:/i);
    } finally {
      await broken.control.close();
      rmSync(broken.dataDir, { recursive: true, force: true });
    }
  });
});
