// Shared mapping steps of the REST-shaped connectors: pick the route for a path (using body and
// query conditions), collect path params and the route's fields, and report an unusable body as
// `body_error` while falling back to the route that does not depend on the body. Kept apart from
// route-table.ts so the matcher stays free of request details.
import { isActionName, isRisk, methodRisk, methodSegment } from './action-name.js';
import { type BodyError, type BodyFormat, bodyObject, coerce, parseBody, scalar, setOwn } from './body.js';
import type { CompiledRoute, Condition, PathMatch, RouteTable } from './route-table.js';
import { pathParams } from './route-table.js';
import type { ActionMatch, ConnectorRequest } from './types.js';

export interface RestMapping {
  table: RouteTable;
  /** How bodies are parsed: a fixed format where the upstream ignores the content type. */
  bodyFormat: BodyFormat | 'auto';
  /** Fields whose text values are converted (form bodies and query strings carry only text). */
  coerce?: Readonly<Record<string, 'number' | 'boolean'>> | undefined;
}

type Fields = { fields: Record<string, unknown> } | { error: BodyError };

const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether mapping `match` needs the request body (some candidate route reads it). */
export function needsBody(method: string, match: PathMatch | undefined): boolean {
  if (!match || NO_BODY_METHODS.has(method)) return false;
  return match.routes.some((r) => r.usesBody);
}

function lastQuery(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  return all.length > 0 ? all[all.length - 1] : undefined;
}

/**
 * The fields a route reads: the query string for reads (and for bodiless deletes), else the body.
 * An absent or empty body is simply no fields; a body we cannot read is an error.
 */
function requestFields(req: ConnectorRequest, cfg: RestMapping): Fields {
  const hasBody = req.body !== undefined && req.body.length > 0;
  if (NO_BODY_METHODS.has(req.method) || (!hasBody && req.method === 'DELETE')) {
    const fields: Record<string, unknown> = {};
    for (const key of new Set(req.query.keys())) setOwn(fields, key, lastQuery(req.query, key));
    return { fields };
  }
  if (!hasBody) return { fields: {} };
  return bodyObject(parseBody(req, cfg.bodyFormat));
}

function holds(c: Condition, req: ConnectorRequest, fields: Fields): boolean | undefined {
  let value: unknown;
  if (c.in === 'query') value = lastQuery(req.query, c.field);
  else if ('error' in fields) return undefined;
  else value = Object.hasOwn(fields.fields, c.field) ? fields.fields[c.field] : undefined;
  const present = value !== undefined && value !== null;
  if (c.present !== undefined && present !== c.present) return false;
  if (c.equals !== undefined && value !== c.equals) return false;
  if (c.prefix !== undefined && !(typeof value === 'string' && value.startsWith(c.prefix))) return false;
  return true;
}

/** The first candidate whose conditions hold; routes whose conditions cannot be known are skipped. */
function chooseRoute(match: PathMatch, req: ConnectorRequest, fields: Fields): CompiledRoute | undefined {
  for (const route of match.routes) {
    if (!route.when || route.when.every((c) => holds(c, req, fields) === true)) return route;
  }
  return undefined;
}

/** Map a request whose path matched; undefined when no candidate route applies. */
export function mapMatch(match: PathMatch, req: ConnectorRequest, cfg: RestMapping): ActionMatch | undefined {
  const candidatesUseBody = match.routes.some((r) => r.usesBody);
  const fields: Fields =
    candidatesUseBody || match.routes.some((r) => r.when) ? requestFields(req, cfg) : { fields: {} };
  const route = chooseRoute(match, req, fields);
  if (!route) return undefined;
  const params = pathParams(route, match.captured);
  if ('error' in fields) {
    if (candidatesUseBody) params['body_error'] = fields.error;
  } else if (route.fields) {
    for (const f of route.fields) {
      const [from, to] = typeof f === 'string' ? [f, f] : f;
      if (!Object.hasOwn(fields.fields, from)) continue;
      const v = scalar(fields.fields[from]);
      if (v === undefined) continue;
      const kind = cfg.coerce?.[to];
      setOwn(params, to, kind ? coerce(v, kind) : v);
    }
  }
  return { action: route.action, params, risk: route.risk };
}

/**
 * The last line of defence of `ConnectorType.map`: a mapping that throws or returns a name outside
 * ACTION_NAME_PATTERN becomes `<unknownPrefix>.<method>` (e.g. `github.http.post`) with
 * `map_error`, so the gateway can rely on the contract and a policy on unknown requests applies.
 */
export function guardedMap(unknownPrefix: string, req: ConnectorRequest, fn: () => ActionMatch): ActionMatch {
  try {
    const m = fn();
    if (isActionName(m.action) && isRisk(m.risk)) return m;
  } catch {
    // fall through: never let a parsing bug take the request path down
  }
  const method = typeof req?.method === 'string' ? req.method : 'unknown';
  return {
    action: `${unknownPrefix}.${methodSegment(method)}`,
    params: { map_error: 'internal' },
    risk: methodRisk(method),
  };
}

/**
 * A body question (`wantsBody`, `bodyPrefixSuffices`) that cannot throw; a failure answers
 * `onError`. For `wantsBody` that is true: the gateway then reads the (bounded) body and the
 * guarded `map` decides with everything it could see. For `bodyPrefixSuffices` it is false: no
 * truncated body on a guess.
 */
export function guardedBodyAnswer(onError: boolean, fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return onError;
  }
}
