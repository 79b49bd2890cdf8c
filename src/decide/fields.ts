// The fields a policy condition can read, and how each is taken from a DecisionRequest. Every
// resolver tolerates a malformed request (missing labels, an invalid Date, params that are not an
// object) by answering undefined: deciding must never throw.
import type { DecisionRequest } from './types.js';

/** How values of a field compare: risk by rank, weekdays by number (names allowed in values). */
export type FieldKind = 'string' | 'risk' | 'hour' | 'weekday' | 'any';

export interface FieldSpec {
  kind: FieldKind;
  /** Literal values in policies are folded to this case, as the request side is. */
  fold?: 'upper' | 'lower' | undefined;
  resolve: (req: DecisionRequest) => unknown;
}

export const FIXED_FIELDS = [
  'action',
  'connector',
  'agent',
  'method',
  'host',
  'path',
  'risk',
  'time.hour',
  'time.weekday',
];
export const FIELD_PREFIXES = ['labels.', 'params.'];

export const RISK_RANK: Readonly<Record<string, number>> = { low: 0, medium: 1, high: 2 };
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function utc(req: DecisionRequest, part: 'hour' | 'day'): number | undefined {
  const raw: unknown = req?.now;
  // A Date normally; an ISO string or epoch ms when the request came over JSON (SDK mode, dry run).
  const now =
    raw instanceof Date
      ? raw
      : typeof raw === 'string' || typeof raw === 'number'
        ? new Date(raw)
        : undefined;
  if (now === undefined || Number.isNaN(now.getTime())) return undefined;
  return part === 'hour' ? now.getUTCHours() : now.getUTCDay();
}

const FIXED: Record<string, FieldSpec> = {
  action: { kind: 'string', resolve: (r) => str(r?.action) },
  connector: { kind: 'string', resolve: (r) => str(r?.connector?.name) },
  agent: { kind: 'string', resolve: (r) => str(r?.agent?.name) },
  method: { kind: 'string', fold: 'upper', resolve: (r) => str(r?.method)?.toUpperCase() },
  host: { kind: 'string', fold: 'lower', resolve: (r) => str(r?.host)?.toLowerCase() },
  path: { kind: 'string', resolve: (r) => str(r?.path) },
  risk: { kind: 'risk', resolve: (r) => str(r?.risk) },
  'time.hour': { kind: 'hour', resolve: (r) => utc(r, 'hour') },
  'time.weekday': { kind: 'weekday', resolve: (r) => utc(r, 'day') },
};

/** The spec of a field name, or undefined when the name is not one policies may use. */
export function fieldSpec(field: string): FieldSpec | undefined {
  if (typeof field !== 'string') return undefined;
  if (Object.hasOwn(FIXED, field)) return FIXED[field];
  if (field.startsWith('labels.') && field.length > 'labels.'.length) {
    const key = field.slice('labels.'.length);
    return { kind: 'any', resolve: (r) => ownValue(r?.agent?.labels, key) };
  }
  if (field.startsWith('params.')) {
    const path = field.slice('params.'.length).split('.');
    if (path.some((s) => s === '')) return undefined;
    return { kind: 'any', resolve: (r) => paramValue(r?.params, path) };
  }
  return undefined;
}

/** Own properties only: `params.constructor` must not reach Object.prototype. */
function ownValue(container: unknown, key: string): unknown {
  if (container === null || typeof container !== 'object') return undefined;
  if (Array.isArray(container)) {
    if (!/^(0|[1-9]\d{0,8})$/.test(key)) return undefined;
    return container[Number(key)];
  }
  return Object.hasOwn(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

function paramValue(params: unknown, path: readonly string[]): unknown {
  let value: unknown = params;
  for (const segment of path) {
    value = ownValue(value, segment);
    if (value === undefined) return undefined;
  }
  return value;
}
