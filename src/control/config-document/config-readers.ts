// Small readers shared by the configuration document validators: each reports a problem at its path
// and answers undefined, so one pass over a document collects every error.
import { describeType, type IssueSink, isPlainObject, type PathSegment } from '../../decide/schema-reader.js';
import { NAME_PATTERN } from '../route-deps.js';

const NAME = new RegExp(NAME_PATTERN);

export function readObject(v: unknown, at: PathSegment[], sink: IssueSink, keys: string[], what: string) {
  if (!isPlainObject(v)) {
    sink.add(at, `${what} must be an object, got ${describeType(v)}`);
    return undefined;
  }
  sink.onlyKeys(v, keys, at);
  return v;
}

export function readName(
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
  allowStar = false,
): string | undefined {
  if (typeof v === 'string' && (NAME.test(v) || (allowStar && v === '*'))) return v;
  sink.add(
    at,
    v === undefined ? 'is required' : `is not a valid name (${NAME_PATTERN}), got ${describeType(v)}`,
  );
  return undefined;
}

export function readOptional<T>(
  obj: Record<string, unknown>,
  key: string,
  at: PathSegment[],
  read: (v: unknown, path: PathSegment[]) => T | undefined,
): T | undefined {
  if (!Object.hasOwn(obj, key) || obj[key] === undefined || obj[key] === null) return undefined;
  return read(obj[key], [...at, key]);
}

export function readEnum<T extends string>(
  v: unknown,
  at: PathSegment[],
  sink: IssueSink,
  values: readonly T[],
): T | undefined {
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  sink.add(at, `must be one of ${values.join(', ')}, got ${describeType(v)}`);
  return undefined;
}

export function readBoolean(v: unknown, at: PathSegment[], sink: IssueSink): boolean | undefined {
  if (typeof v === 'boolean') return v;
  sink.add(at, `must be true or false, got ${describeType(v)}`);
  return undefined;
}
