// Building action names from request data. Tool names, RPC methods and HTTP methods come from the
// agent, so everything that ends up in an action name goes through `toActionSegment`: policies
// match names segment by segment, and a name that does not match ACTION_NAME_PATTERN could not be
// matched (or could smuggle extra segments in with a dot).
import type { ActionMatch, Risk } from './types.js';
import { ACTION_NAME_PATTERN } from './types.js';

const MAX_SEGMENT = 64;

/**
 * One action-name segment from arbitrary text: camelCase and kebab-case become snake_case, every
 * character outside [a-z0-9_] becomes `_`, runs of `_` collapse, and the result is at most 64
 * characters. Empty input gives `fallback`.
 */
export function toActionSegment(text: string, fallback = 'unnamed'): string {
  const snake = text
    .slice(0, MAX_SEGMENT * 4)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, MAX_SEGMENT)
    .replace(/_$/, '');
  return snake === '' ? fallback : snake;
}

// Methods repeat (GET, POST...), and this runs on every request: remember the common ones.
const METHOD_SEGMENTS = new Map<string, string>();

/** The HTTP method as an action segment: `GET` → `get`, `M-SEARCH` → `m_search`. */
export function methodSegment(method: string): string {
  let seg = METHOD_SEGMENTS.get(method);
  if (seg === undefined) {
    seg = toActionSegment(method, 'unknown');
    if (METHOD_SEGMENTS.size < 64) METHOD_SEGMENTS.set(method, seg);
  }
  return seg;
}

/** Reads are low, deletes high, every other write medium. Used for unknown paths. */
export function methodRisk(method: string): Risk {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS') return 'low';
  if (m === 'DELETE') return 'high';
  return 'medium';
}

/** `<prefix>.http.<method>`: what a request the connector does not know maps to. */
export function unknownAction(
  prefix: string,
  method: string,
  params: Record<string, unknown> = {},
): ActionMatch {
  return { action: `${prefix}.http.${methodSegment(method)}`, params, risk: methodRisk(method) };
}

const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

export function riskRank(risk: Risk): number {
  return RISK_ORDER[risk];
}

export function isRisk(value: unknown): value is Risk {
  return value === 'low' || value === 'medium' || value === 'high';
}

export function isActionName(name: string): boolean {
  return ACTION_NAME_PATTERN.test(name);
}
