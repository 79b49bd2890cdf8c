// /v1/openapi.json is complete (every route the server registers, with its access, path parameters,
// query and body schemas) and tells the truth: every route refuses an unknown query parameter and
// every route that takes a body refuses an unknown field, as the document says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ROLES } from '../../src/control/route-roles.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

const MAINTENANCE = 'maintenance-secret-0123456789';
let h: ControlHarness;
let agentKey: string;

interface Op {
  summary?: string;
  'x-tameflare-access'?: string;
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  security?: unknown[];
}
let doc: { openapi: string; paths: Record<string, Record<string, Op>>; components: Record<string, unknown> };

beforeAll(async () => {
  h = await startControlHarness({ env: { MAINTENANCE_SECRET: MAINTENANCE } });
  agentKey = (await h.api<{ key: string }>('POST', '/v1/agents', { name: 'spec-bot' })).body.key;
  doc = (await (await fetch(`${h.url}/v1/openapi.json`)).json()) as typeof doc;
});
afterAll(async () => {
  await h?.close();
});

const served = () => h.control.routes().filter((r) => !r.includes('*'));
const toPath = (url: string) => url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
const credentialFor = (access: string) =>
  access === 'agent'
    ? agentKey
    : access === 'service'
      ? h.serviceToken
      : access === 'maintenance'
        ? MAINTENANCE
        : h.token;

describe('GET /v1/openapi.json', () => {
  it('is OpenAPI 3.1 with the problem schema and a security scheme per kind of caller', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys((doc.components as { securitySchemes: object }).securitySchemes).sort()).toEqual([
      'agentKey',
      'bearer',
      'maintenanceSecret',
      'serviceToken',
    ]);
    expect(doc.components).toHaveProperty('schemas.Problem');
  });

  it('describes every registered route: access, summary, path parameters, query and body schemas', () => {
    const problems: string[] = [];
    for (const key of served()) {
      const [method, url] = key.split(' ') as [string, string];
      const op = doc.paths[toPath(url)]?.[method.toLowerCase()];
      if (!op) {
        problems.push(`${key}: missing`);
        continue;
      }
      if (!op.summary) problems.push(`${key}: no summary`);
      if (op['x-tameflare-access'] !== ROUTE_ROLES[key])
        problems.push(`${key}: access ${op['x-tameflare-access']}`);
      for (const [, name] of url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
        const p = op.parameters.find((x) => x.in === 'path' && x.name === name);
        if (!p?.schema.type) problems.push(`${key}: path parameter ${name} without a schema`);
      }
      const takesBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
      const body = op.requestBody?.content['application/json'].schema;
      if (takesBody && body?.additionalProperties !== false)
        problems.push(`${key}: body schema missing or open`);
      if (!takesBody && op.requestBody) problems.push(`${key}: a body on ${method}`);
    }
    expect(problems).toEqual([]);
    // And nothing in the document that the server does not serve.
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const servedPaths = h.control.routes().map((r) => {
      const [m, u] = r.split(' ') as [string, string];
      return `${m} ${toPath(u)}`;
    });
    expect(documented.filter((d) => !servedPaths.includes(d))).toEqual([]);
  });

  it('documents what the API enforces: an unknown query parameter or body field is a 400 on every route', async () => {
    const lax: string[] = [];
    for (const key of served()) {
      const [method, url] = key.split(' ') as [string, string];
      const path = url.replace(/:id\b/g, '1').replace(/:[a-z_]+/gi, 'x');
      const authorization = `Bearer ${credentialFor(ROUTE_ROLES[key]!)}`;
      const query = await fetch(`${h.url}${path}?tf_unknown=1`, { method, headers: { authorization } });
      const q = (await query.json().catch(() => ({}))) as { code?: string };
      if (query.status !== 400 || q.code !== 'validation_failed')
        lax.push(`${key} ?tf_unknown: ${query.status} ${q.code}`);
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
        const res = await fetch(`${h.url}${path}`, {
          method,
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ tf_unknown: 1 }),
        });
        const b = (await res.json().catch(() => ({}))) as { code?: string };
        if (res.status !== 400 || b.code !== 'validation_failed')
          lax.push(`${key} {tf_unknown}: ${res.status} ${b.code}`);
      }
    }
    expect(lax).toEqual([]);
  });
});
