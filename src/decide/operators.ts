// Leaf operators and their coercion rules (docs/policies.md, "Types and coercion"). Values in the
// policy are normalised once at compile time; the request side is coerced per evaluation:
// - numeric operators accept numbers and numeric strings ("5000", "12.5"), anything else is false;
// - equals / in compare numerically when one side is a number and the other a number or numeric
//   string; two strings compare exactly; a boolean equals the strings "true" / "false";
// - string operators (starts_with, ends_with, matches) are false on non-strings; contains is a
//   substring test on strings and an element test (with equals' rules) on arrays;
// - the not_ operators are the exact negation of their positive twin (true when the field is absent);
// - exists is true unless the field is undefined or null.
import { type FieldSpec, RISK_RANK, WEEKDAYS } from './fields.js';
import type { LeafCondition, Operator } from './policy-types.js';
import { compilePolicyRegex } from './safe-regex.js';

export const OPERATORS: readonly Operator[] = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'matches',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
];

/** Operators that compare risk by rank (low < medium < high) rather than by name. */
const RANKED = new Set<Operator>(['equals', 'not_equals', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte']);

export type Scalar = string | number | boolean;
type Test = (fieldValue: unknown) => boolean;

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isNumericString(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 64 && NUMERIC.test(v) && Number.isFinite(Number(v));
}

/** A finite number from a number or a numeric string; otherwise undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return isNumericString(v) ? Number(v) : undefined;
}

export function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Equality with the coercions above. */
export function looseEquals(field: unknown, value: Scalar): boolean {
  if (typeof value === 'number') {
    const n = toNumber(field);
    return n !== undefined && n === value;
  }
  if (typeof value === 'boolean') {
    if (typeof field === 'boolean') return field === value;
    return typeof field === 'string' && field === String(value);
  }
  if (typeof field === 'string') return field === value;
  if (typeof field === 'number') return toNumber(value) === field;
  if (typeof field === 'boolean') return value === String(field);
  return false;
}

/**
 * A policy value mapped to the form compared at run time: risk names to ranks, weekday names to
 * numbers, method and host literals to the case the request side uses. Leaves other values alone.
 */
export function normalizeValue(spec: FieldSpec, operator: Operator, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (spec.kind === 'risk' && RANKED.has(operator) && Object.hasOwn(RISK_RANK, value))
    return RISK_RANK[value];
  if (spec.kind === 'weekday' && WEEKDAYS.includes(value.toLowerCase()))
    return WEEKDAYS.indexOf(value.toLowerCase());
  if (spec.fold === 'upper' && operator !== 'matches') return value.toUpperCase();
  if (spec.fold === 'lower' && operator !== 'matches') return value.toLowerCase();
  return value;
}

/** The test for one validated leaf; `undefined` when the leaf cannot be compiled (invalid). */
export function compileLeafTest(spec: FieldSpec, leaf: LeafCondition): Test | undefined {
  const operator = leaf.operator;
  const byRank = spec.kind === 'risk' && RANKED.has(operator);
  const norm = (v: unknown) => normalizeValue(spec, operator, v);
  const raw = leaf.value;
  const test = buildTest(operator, Array.isArray(raw) ? raw.map(norm) : norm(raw));
  if (test === undefined || !byRank) return test;
  // Risk compares by rank; a risk the request carries that is not a known name matches nothing.
  return (v) => (typeof v === 'string' && Object.hasOwn(RISK_RANK, v) ? test(RISK_RANK[v]) : test(undefined));
}

function buildTest(operator: Operator, value: unknown): Test | undefined {
  switch (operator) {
    case 'equals':
      return isScalar(value) ? (v) => looseEquals(v, value) : undefined;
    case 'not_equals':
      return isScalar(value) ? (v) => !looseEquals(v, value) : undefined;
    case 'in':
    case 'not_in': {
      if (!Array.isArray(value) || !value.every(isScalar)) return undefined;
      const inList = inTest(value);
      return operator === 'in' ? inList : (v) => !inList(v);
    }
    case 'contains':
    case 'not_contains': {
      if (!isScalar(value)) return undefined;
      const needle = String(value);
      const contains: Test = (v) =>
        typeof v === 'string' ? v.includes(needle) : Array.isArray(v) && v.some((e) => looseEquals(e, value));
      return operator === 'contains' ? contains : (v) => !contains(v);
    }
    case 'starts_with':
      return typeof value === 'string' ? (v) => typeof v === 'string' && v.startsWith(value) : undefined;
    case 'ends_with':
      return typeof value === 'string' ? (v) => typeof v === 'string' && v.endsWith(value) : undefined;
    case 'matches': {
      const check = compilePolicyRegex(value as string);
      if (!check.ok) return undefined;
      const regex = check.regex;
      return (v) => typeof v === 'string' && regex.test(v);
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const bound = toNumber(value);
      if (bound === undefined) return undefined;
      return numericTest(operator, bound);
    }
    case 'exists': {
      if (value !== undefined && typeof value !== 'boolean') return undefined;
      const want = value !== false;
      return (v) => (v !== undefined && v !== null) === want;
    }
    default:
      return undefined;
  }
}

function numericTest(operator: 'gt' | 'gte' | 'lt' | 'lte', bound: number): Test {
  const cmp: Record<typeof operator, (n: number) => boolean> = {
    gt: (n) => n > bound,
    gte: (n) => n >= bound,
    lt: (n) => n < bound,
    lte: (n) => n <= bound,
  };
  const f = cmp[operator];
  return (v) => {
    const n = toNumber(v);
    return n !== undefined && f(n);
  };
}

/** `in` with a Set fast path for the common case of a string field against string values. */
function inTest(values: Scalar[]): Test {
  const strings = new Set(values.filter((v): v is string => typeof v === 'string'));
  const others = values.filter((v) => typeof v !== 'string');
  const numericStrings = [...strings].filter(isNumericString);
  return (v) => {
    if (typeof v === 'string') {
      if (strings.has(v)) return true;
      return others.some((o) => looseEquals(v, o));
    }
    if (typeof v === 'number') {
      return others.some((o) => looseEquals(v, o)) || numericStrings.some((s) => looseEquals(v, s));
    }
    return values.some((o) => looseEquals(v, o));
  };
}
