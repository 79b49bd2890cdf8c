// The table-driven matcher every REST-shaped connector uses. Routes are data (method, path pattern,
// action, risk, description, the body fields to extract), compiled once at module load into a
// segment trie per method, so mapping a request walks a few Map lookups instead of testing dozens
// of regular expressions. The same rows generate the connector's catalogue, so the gateway, the
// CLI's `connector actions` and docs/connectors.md cannot disagree.
//
// Pattern syntax: `{name}` one segment, `{name:int}` one all-digit segment (a number param),
// `{name+}` the rest of the path (at least one segment, joined with `/`; last only).
// Literal segments match case-insensitively (upstreams are lenient there too); literals win over
// params, and the matcher backtracks, so `/pulls/comments` and `/pulls/{number:int}` coexist.
import type { ActionSpec, Risk } from './types.js';

/** A test on a body field or query parameter that selects between routes sharing a path. */
export interface Condition {
  in: 'body' | 'query';
  field: string;
  equals?: string | number | boolean | undefined;
  /** true: the field must be present (not null); false: it must be absent. */
  present?: boolean | undefined;
  prefix?: string | undefined;
}

/** A body (or, for GET/HEAD/DELETE, query) field copied into params: `name` or `[from, to]`. */
export type FieldSpec = string | readonly [from: string, to: string];

export interface RouteDef {
  method: string;
  path: string;
  action: string;
  risk: Risk;
  description: string;
  fields?: readonly FieldSpec[] | undefined;
  /** All must hold. Routes with conditions are tried before the plain route of the same path. */
  when?: readonly Condition[] | undefined;
  /** An alternative spelling of a listed route (matched, but not a catalogue row of its own). */
  alias?: boolean | undefined;
}

export interface CompiledRoute extends RouteDef {
  readonly paramNames: readonly string[];
  readonly paramInts: readonly boolean[];
  /** The route's action or params depend on the body (it has body fields or body conditions). */
  readonly usesBody: boolean;
  readonly bodyConditions: boolean;
}

interface TrieNode {
  literals: Map<string, TrieNode>;
  param?: TrieNode | undefined;
  rest: CompiledRoute[];
  routes: CompiledRoute[];
}

/** Candidate routes for a path (in trial order) and the raw captured parameter values. */
export interface PathMatch {
  routes: readonly CompiledRoute[];
  captured: readonly string[];
}

function node(): TrieNode {
  return { literals: new Map(), rest: [], routes: [] };
}

const PARAM = /^\{([a-z_][a-z0-9_]*)(:int|\+)?\}$/;

function compileRoute(def: RouteDef): { route: CompiledRoute; parts: string[] } {
  const parts = def.path.split('/').filter((p) => p !== '');
  const paramNames: string[] = [];
  const paramInts: boolean[] = [];
  parts.forEach((p, i) => {
    const m = PARAM.exec(p);
    if (m) {
      if (m[2] === '+' && i !== parts.length - 1) throw new Error(`rest param not last in ${def.path}`);
      paramNames.push(m[1]!);
      paramInts.push(m[2] === ':int');
    } else if (p.includes('{')) {
      throw new Error(`bad pattern segment ${p} in ${def.path}`);
    }
  });
  const bodyConditions = (def.when ?? []).some((c) => c.in === 'body');
  const usesBody = bodyConditions || (def.fields?.length ?? 0) > 0;
  return { route: { ...def, paramNames, paramInts, usesBody, bodyConditions }, parts };
}

export class RouteTable {
  readonly routes: readonly CompiledRoute[];
  private readonly roots = new Map<string, TrieNode>();

  constructor(defs: readonly RouteDef[]) {
    const compiled: CompiledRoute[] = [];
    for (const def of defs) {
      const { route, parts } = compileRoute(def);
      compiled.push(route);
      let cur = this.roots.get(def.method) ?? node();
      this.roots.set(def.method, cur);
      let rest = false;
      for (const part of parts) {
        const m = PARAM.exec(part);
        if (m?.[2] === '+') {
          cur.rest.push(route);
          rest = true;
          break;
        }
        if (m) {
          cur.param ??= node();
          cur = cur.param;
        } else {
          const key = part.toLowerCase();
          let next = cur.literals.get(key);
          if (!next) {
            next = node();
            cur.literals.set(key, next);
          }
          cur = next;
        }
      }
      if (!rest) cur.routes.push(route);
    }
    // Conditional routes first, so the plain route of a path is the fallback.
    for (const root of this.roots.values()) sortNode(root);
    this.routes = compiled;
  }

  /** Candidate routes for `method` and decoded path segments; HEAD falls back to GET routes. */
  match(method: string, segments: readonly string[]): PathMatch | undefined {
    const lowered = segments.map((s) => s.toLowerCase());
    const root = this.roots.get(method);
    const found = root ? walk(root, segments, lowered, 0, []) : undefined;
    if (found || method !== 'HEAD') return found;
    const get = this.roots.get('GET');
    return get ? walk(get, segments, lowered, 0, []) : undefined;
  }

  /** Catalogue rows of every route, paths shown under `basePath`. */
  catalogue(basePath: string): ActionSpec[] {
    return this.routes.filter((r) => !r.alias).map((r) => routeSpec(r, basePath));
  }
}

function sortNode(n: TrieNode): void {
  const byCond = (a: CompiledRoute, b: CompiledRoute) => (b.when ? 1 : 0) - (a.when ? 1 : 0);
  n.routes.sort(byCond);
  n.rest.sort(byCond);
  for (const child of n.literals.values()) sortNode(child);
  if (n.param) sortNode(n.param);
}

function intsOk(route: CompiledRoute, captured: readonly string[]): boolean {
  for (let i = 0; i < route.paramInts.length; i++) {
    if (route.paramInts[i] && !/^\d{1,15}$/.test(captured[i] ?? '')) return false;
  }
  return true;
}

function walk(
  n: TrieNode,
  segs: readonly string[],
  lowered: readonly string[],
  i: number,
  captured: string[],
): PathMatch | undefined {
  if (i === segs.length) {
    const routes = n.routes.filter((r) => intsOk(r, captured));
    return routes.length > 0 ? { routes, captured: captured.slice() } : undefined;
  }
  const lit = n.literals.get(lowered[i]!);
  if (lit) {
    const m = walk(lit, segs, lowered, i + 1, captured);
    if (m) return m;
  }
  if (n.param) {
    captured.push(segs[i]!);
    const m = walk(n.param, segs, lowered, i + 1, captured);
    captured.pop();
    if (m) return m;
  }
  if (n.rest.length > 0) {
    const all = [...captured, segs.slice(i).join('/')];
    const routes = n.rest.filter((r) => intsOk(r, all));
    if (routes.length > 0) return { routes, captured: all };
  }
  return undefined;
}

/** Path parameters of `route` from captured values; int params become numbers. */
export function pathParams(route: CompiledRoute, captured: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < route.paramNames.length; i++) {
    const raw = captured[i] ?? '';
    out[route.paramNames[i]!] = route.paramInts[i] ? Number(raw) : raw;
  }
  return out;
}

function fieldTarget(f: FieldSpec): string {
  return typeof f === 'string' ? f : f[1];
}

function conditionText(c: Condition): string {
  const where = c.in === 'query' ? `query ${c.field}` : c.field;
  if (c.equals !== undefined) return `${where}=${String(c.equals)}`;
  if (c.prefix !== undefined) return `${where} starts with ${c.prefix}`;
  return c.present === false ? `no ${where}` : `${where} present`;
}

/** The catalogue row of a route, with its path under `basePath` and its conditions in words. */
export function routeSpec(route: CompiledRoute, basePath: string): ActionSpec {
  const path = (basePath + route.path).replace(/\{([a-z0-9_]+)(?::int|\+)\}/g, '{$1}');
  const params = [...new Set([...route.paramNames, ...(route.fields ?? []).map(fieldTarget)])];
  const cond = route.when?.length ? ` (when ${route.when.map(conditionText).join(' and ')})` : '';
  return {
    action: route.action,
    method: route.method,
    path,
    risk: route.risk,
    params,
    description: route.description + cond,
  };
}
