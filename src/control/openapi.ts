// The OpenAPI document is collected from the route schemas themselves, so it cannot drift from what
// the API validates.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { accessOf } from './route-roles.js';

interface Operation {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

export function collectOpenApi(
  app: FastifyInstance,
  info: { version: string },
): () => Record<string, unknown> {
  const ops: Operation[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1') && !route.url.startsWith('/api/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === 'HEAD') continue;
      ops.push({
        method: m.toLowerCase(),
        url: route.url,
        schema: route.schema as Record<string, unknown> | undefined,
      });
    }
  });
  return () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of ops) {
      const path = op.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const params = [...op.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const s = op.schema ?? {};
      const query = s.querystring as
        | { properties?: Record<string, unknown>; required?: string[] }
        | undefined;
      for (const [name, schema] of Object.entries(query?.properties ?? {})) {
        params.push({
          name,
          in: 'query',
          required: query?.required?.includes(name) ?? false,
          schema,
        } as never);
      }
      const entry: Record<string, unknown> = {
        summary: s.summary,
        tags: s.tags,
        parameters: params.length ? params : undefined,
        // Only API-token routes use the document's bearer scheme.
        security: ['public', 'maintenance'].includes(accessOf(op.method.toUpperCase(), op.url) ?? '')
          ? []
          : undefined,
        responses: {
          '200': { description: 'OK' },
          default: { description: 'An RFC 9457 problem (application/problem+json) with a stable code' },
        },
      };
      if (s.body) entry.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
      paths[path] = { ...(paths[path] ?? {}), [op.method]: entry };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'TameFlare control plane API', version: info.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      paths,
    };
  };
}
