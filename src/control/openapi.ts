// The OpenAPI document is collected from the route schemas themselves, so it cannot drift from what
// the API validates: every route the server registers (the /v1 API, health, metrics, maintenance, the
// gateway link, the JWKS) with its path, query and body schemas, who may call it (from
// route-roles.ts) and the problem document every error is. Schemas the route left out are filled in
// strictly first (strict-route-schemas.ts), so the document shows exactly what is accepted.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CODES } from '../errors/codes.js';
import { accessOf, type RouteAccess } from './route-roles.js';
import { strictRouteSchemas } from './strict-route-schemas.js';

type Schema = Record<string, unknown>;

interface Operation {
  method: string;
  url: string;
  schema: Schema;
}

const SECURITY: Record<string, Record<string, string[]>[]> = {
  public: [],
  service: [{ serviceToken: [] }],
  maintenance: [{ maintenanceSecret: [] }],
  agent: [{ agentKey: [] }],
};

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; clients show `detail`',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    request_id: { type: 'string' },
    message: { type: 'string' },
    error: { type: 'object' },
  },
};

function parameters(op: Operation): Schema[] {
  const out: Schema[] = [];
  for (const [where, key] of [
    ['path', 'params'],
    ['query', 'querystring'],
  ] as const) {
    const s = op.schema[key] as { properties?: Record<string, Schema>; required?: string[] } | undefined;
    for (const [name, schema] of Object.entries(s?.properties ?? {})) {
      const { description, ...rest } = schema as Schema & { description?: string };
      out.push({
        name,
        in: where,
        required: where === 'path' || (s?.required?.includes(name) ?? false),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function operation(op: Operation): Schema {
  const s = op.schema;
  const access = accessOf(op.method.toUpperCase(), op.url) as RouteAccess;
  const entry: Schema = {
    operationId: `${op.method}${op.url.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: s.summary,
    tags: s.tags,
    'x-tameflare-access': access,
    parameters: parameters(op),
    responses: {
      '200': { description: 'Success (201 for creations)' },
      default: {
        description: 'An RFC 9457 problem with a stable code',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    },
  };
  if (access in SECURITY) entry.security = SECURITY[access];
  if (s.body) {
    const body = s.body as Schema;
    const types = Array.isArray(body.type) ? body.type : [body.type];
    entry.requestBody = {
      required: !types.includes('null'),
      content: { 'application/json': { schema: body } },
    };
  }
  return entry;
}

export function collectOpenApi(
  app: FastifyInstance,
  info: { version: string },
): () => Record<string, unknown> {
  const ops: Operation[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    strictRouteSchemas(route);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === 'HEAD') continue;
      ops.push({
        method: m.toLowerCase(),
        url: route.url,
        schema: (route.schema as Schema | undefined) ?? {},
      });
    }
  });
  return () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of ops) {
      const path = op.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
      paths[path] = { ...(paths[path] ?? {}), [op.method]: operation(op) };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'TameFlare control plane API', version: info.version },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token (tf_pat_…) or a dashboard session',
          },
          agentKey: {
            type: 'http',
            scheme: 'bearer',
            description: "An agent's key (tf_agent_… or tf_sess_…)",
          },
          serviceToken: { type: 'http', scheme: 'bearer', description: 'GATEWAY_SERVICE_TOKEN' },
          maintenanceSecret: { type: 'http', scheme: 'bearer', description: 'MAINTENANCE_SECRET' },
        },
        schemas: { Problem: PROBLEM_SCHEMA },
      },
      security: [{ bearer: [] }],
      paths,
    };
  };
}
