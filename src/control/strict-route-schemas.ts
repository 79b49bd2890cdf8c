// Every route validates its path parameters, its query and its body, and rejects unknown fields
// (SPEC 5.1). Routes declare what they take; what they leave out is filled in here before Fastify
// compiles the route, strictly: a route that declares no query takes none, a POST that declares no
// body takes none (or `{}`), and path parameters are bounded strings. A declared schema that would
// let unknown top-level fields through stops registration, like a route missing from route-roles.ts.
//
// Threat model: a misspelt security setting (`{"proxy_atuh": false}`) silently ignored is worse than
// an error; so is a query parameter a route never reads.
import type { RouteOptions } from 'fastify';

type Schema = Record<string, unknown>;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `:name` segments of a route path. */
export function pathParams(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

/**
 * The schema with unknown top-level fields refused: left unsaid, `additionalProperties` becomes
 * false; said otherwise, the route is refused (undefined: the schema is not an object schema).
 */
function strictObject(schema: Schema): Schema | undefined {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types.includes('object')) return undefined;
  if (schema.additionalProperties === undefined) return { ...schema, additionalProperties: false };
  return schema.additionalProperties === false ? schema : undefined;
}

/** Fills the schemas a route left out and refuses ones that would take unknown fields. */
export function strictRouteSchemas(route: RouteOptions): void {
  // Static files (the dashboard's wildcard routes) are not API operations: a cache-busting query is fine.
  if (route.url.includes('*')) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const where = `${methods.join(',')} ${route.url}`;
  const schema: Schema = { ...((route.schema as Schema | undefined) ?? {}) };

  const names = pathParams(route.url);
  if (schema.params === undefined && names.length > 0) {
    schema.params = {
      type: 'object',
      additionalProperties: false,
      required: names,
      properties: Object.fromEntries(names.map((n) => [n, { type: 'string', minLength: 1, maxLength: 256 }])),
    };
  }
  if (schema.querystring === undefined) {
    schema.querystring = { type: 'object', additionalProperties: false, properties: {} };
  }
  if (schema.body === undefined && methods.some((m) => BODY_METHODS.has(m))) {
    // No body, JSON null, or an empty object: clients differ in what they send for "nothing".
    schema.body = { type: ['object', 'null'], additionalProperties: false, properties: {} };
  }
  for (const part of ['params', 'querystring', 'body'] as const) {
    const s = schema[part] as Schema | undefined;
    if (!s) continue;
    const strict = strictObject(s);
    if (!strict)
      throw new Error(`route ${where}: its ${part} schema must be an object that refuses unknown fields`);
    schema[part] = strict;
  }
  route.schema = schema;
}
