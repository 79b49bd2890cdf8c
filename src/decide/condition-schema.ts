// Validation of `when` conditions: the shape (leaf or all/any/not), the field names, the operators
// and, per operator and field, the type of `value`. Bounded depth and size keep compilation and
// evaluation cheap and recursion-safe.
import { FIELD_PREFIXES, FIXED_FIELDS, type FieldSpec, fieldSpec, RISK_RANK, WEEKDAYS } from './fields.js';
import { isNumericString, isScalar, OPERATORS } from './operators.js';
import type { Condition, LeafCondition, Operator } from './policy-types.js';
import { compilePolicyRegex } from './safe-regex.js';
import { describeType, type IssueSink, isPlainObject, type PathSegment } from './schema-reader.js';

export const MAX_CONDITION_DEPTH = 16;
export const MAX_CONDITION_NODES = 256;
export const MAX_IN_VALUES = 1000;

interface Budget {
  nodes: number;
}

/** Validates `input` as a condition; returns a clean copy, or undefined when it has issues. */
export function readCondition(input: unknown, at: PathSegment[], sink: IssueSink): Condition | undefined {
  const before = sink.count;
  const out = walk(input, at, sink, 0, { nodes: 0 });
  return sink.count === before ? out : undefined;
}

function walk(
  input: unknown,
  at: PathSegment[],
  sink: IssueSink,
  depth: number,
  budget: Budget,
): Condition | undefined {
  if (++budget.nodes > MAX_CONDITION_NODES) {
    if (budget.nodes === MAX_CONDITION_NODES + 1)
      sink.add(at, `too many conditions (at most ${MAX_CONDITION_NODES})`);
    return undefined;
  }
  if (depth > MAX_CONDITION_DEPTH) {
    sink.add(at, `conditions nest too deeply (at most ${MAX_CONDITION_DEPTH} levels)`);
    return undefined;
  }
  if (!isPlainObject(input)) {
    sink.add(
      at,
      `must be a condition ({field, operator, value} or {all|any|not: ...}), got ${describeType(input)}`,
    );
    return undefined;
  }
  const groups = ['all', 'any', 'not'].filter((k) => Object.hasOwn(input, k));
  if (groups.length === 0) return readLeaf(input, at, sink);
  if (Object.keys(input).length !== 1) {
    sink.add(at, `a condition with "${groups[0]}" must have no other keys (nest them instead)`);
    return undefined;
  }
  const key = groups[0] as 'all' | 'any' | 'not';
  const inner = input[key];
  if (key === 'not') {
    const c: Condition | undefined = walk(inner, [...at, 'not'], sink, depth + 1, budget);
    return c && { not: c };
  }
  if (!Array.isArray(inner) || inner.length === 0) {
    sink.add([...at, key], `must be a non-empty list of conditions`);
    return undefined;
  }
  const items = inner.map((c, i) => walk(c, [...at, key, i], sink, depth + 1, budget));
  if (items.some((c) => c === undefined)) return undefined;
  return key === 'all' ? { all: items as Condition[] } : { any: items as Condition[] };
}

function readLeaf(
  input: Record<string, unknown>,
  at: PathSegment[],
  sink: IssueSink,
): LeafCondition | undefined {
  const before = sink.count;
  sink.onlyKeys(input, ['field', 'operator', 'value'], at);
  const { field, operator, value } = input;
  let spec: FieldSpec | undefined;
  if (typeof field !== 'string') sink.add([...at, 'field'], 'is required (a field name, e.g. params.amount)');
  else {
    spec = fieldSpec(field);
    if (spec === undefined) {
      sink.add(
        [...at, 'field'],
        `unknown field "${field}" (one of ${FIXED_FIELDS.join(', ')}, or ${FIELD_PREFIXES.map((p) => `${p}<name>`).join(', ')})`,
      );
    }
  }
  if (typeof operator !== 'string' || !OPERATORS.includes(operator as Operator)) {
    const got = typeof operator === 'string' ? `unknown operator "${operator}"` : 'is required';
    sink.add([...at, 'operator'], `${got} (one of ${OPERATORS.join(', ')})`);
  } else if (spec !== undefined) {
    checkValue(operator as Operator, spec, field as string, input, [...at, 'value'], sink);
  }
  if (sink.count !== before) return undefined;
  const leaf: LeafCondition = { field: field as string, operator: operator as Operator };
  if (Object.hasOwn(input, 'value')) leaf.value = value;
  return leaf;
}

function checkValue(
  op: Operator,
  spec: FieldSpec,
  field: string,
  leaf: Record<string, unknown>,
  at: PathSegment[],
  sink: IssueSink,
) {
  const has = Object.hasOwn(leaf, 'value');
  const value = leaf.value;
  if (op === 'exists') {
    if (has && typeof value !== 'boolean')
      sink.add(at, `exists takes true, false or no value, got ${describeType(value)}`);
    return;
  }
  if (!has) {
    sink.add(at, `is required for operator ${op}`);
    return;
  }
  switch (op) {
    case 'in':
    case 'not_in':
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
        sink.add(
          at,
          `${op} needs a non-empty list (at most ${MAX_IN_VALUES} values), got ${describeType(value)}`,
        );
        return;
      }
      value.forEach((v, i) => {
        checkScalarFor(spec, field, v, [...at, i], sink, op);
      });
      return;
    case 'equals':
    case 'not_equals':
      checkScalarFor(spec, field, value, at, sink, op);
      return;
    case 'contains':
    case 'not_contains':
      if (!isScalar(value))
        sink.add(at, `${op} needs a string, number or boolean, got ${describeType(value)}`);
      return;
    case 'starts_with':
    case 'ends_with':
      if (typeof value !== 'string') sink.add(at, `${op} needs a string, got ${describeType(value)}`);
      return;
    case 'matches': {
      if (typeof value !== 'string') {
        sink.add(at, `matches needs a string (a regular expression), got ${describeType(value)}`);
        return;
      }
      const check = compilePolicyRegex(value);
      if (!check.ok) sink.add(at, `regular expression ${check.message}`);
      return;
    }
    default:
      checkOrdered(op, spec, field, value, at, sink);
  }
}

/** A value for equals / in: any scalar, restricted for risk and time fields. */
function checkScalarFor(
  spec: FieldSpec,
  field: string,
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
  op: Operator,
) {
  if (!isScalar(v)) {
    sink.add(at, `${op} needs a string, number or boolean, got ${describeType(v)}`);
    return;
  }
  if (spec.kind === 'risk' && !(typeof v === 'string' && Object.hasOwn(RISK_RANK, v))) {
    sink.add(at, `risk is one of low, medium, high, got ${describeType(v)}`);
  } else if (spec.kind === 'hour' || spec.kind === 'weekday') checkTime(spec, field, v, at, sink);
}

function checkOrdered(
  op: Operator,
  spec: FieldSpec,
  field: string,
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
) {
  if (spec.kind === 'risk') {
    if (!(typeof v === 'string' && Object.hasOwn(RISK_RANK, v))) {
      sink.add(at, `${op} on risk needs low, medium or high, got ${describeType(v)}`);
    }
    return;
  }
  if (spec.kind === 'hour' || spec.kind === 'weekday') {
    checkTime(spec, field, v, at, sink);
    return;
  }
  if (!(typeof v === 'number' && Number.isFinite(v)) && !isNumericString(v)) {
    sink.add(at, `${op} needs a number or a numeric string, got ${describeType(v)}`);
  }
}

function checkTime(spec: FieldSpec, field: string, v: unknown, at: PathSegment[], sink: IssueSink) {
  if (spec.kind === 'weekday' && typeof v === 'string' && WEEKDAYS.includes(v.toLowerCase())) return;
  const max = spec.kind === 'hour' ? 23 : 6;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    const names = spec.kind === 'weekday' ? ` or a day name (${WEEKDAYS.join(', ')})` : '';
    sink.add(at, `${field} is an integer 0–${max}${names}, got ${describeType(v)}`);
  }
}
