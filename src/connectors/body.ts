// Reading request bodies for mapping. Bodies are agent-controlled and bounded by the gateway
// (`maxBodyBytes`), so parsing must never throw and never trust a prefix: a truncated body is
// reported as `truncated` instead of being half-read, because the part we cannot see could hold a
// later duplicate key that the upstream would honour (JSON parsers and Rack/PHP form parsers keep
// the LAST value of a repeated key, and we do the same).
import type { ConnectorRequest } from './types.js';

/** Why a body could not be used; surfaces as the `body_error` parameter. */
export type BodyError =
  | 'missing'
  | 'truncated'
  | 'invalid_json'
  | 'not_an_object'
  | 'unsupported_encoding'
  | 'unsupported_content_type';

export type BodyFormat = 'json' | 'form';

export type ParsedBody =
  | { ok: true; format: BodyFormat; value: unknown }
  | { ok: false; error: BodyError; format?: BodyFormat | undefined };

/** First value of a header (header names are lower-case in ConnectorRequest). */
export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The media type without parameters, lower-case (`application/json`), or '' when absent. */
export function mediaType(headers: Record<string, string | string[] | undefined>): string {
  const ct = headerValue(headers, 'content-type');
  if (ct === undefined) return '';
  const semi = ct.indexOf(';');
  return (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

export function isMultipart(headers: Record<string, string | string[] | undefined>): boolean {
  return mediaType(headers).startsWith('multipart/');
}

/** A body we cannot read as text: compressed (an agent could gzip a body to hide its fields). */
function hasEncoding(headers: Record<string, string | string[] | undefined>): boolean {
  const enc = headerValue(headers, 'content-encoding');
  return enc !== undefined && enc.trim() !== '' && enc.trim().toLowerCase() !== 'identity';
}

/**
 * Parse the body as `format`, or, with 'auto', as the content type says (JSON media types and
 * `+json` suffixes are JSON; anything else is a form). The body must be complete.
 */
export function parseBody(
  req: Pick<ConnectorRequest, 'headers' | 'body' | 'bodyTruncated'>,
  format: BodyFormat | 'auto',
): ParsedBody {
  if (req.body === undefined) return { ok: false, error: 'missing' };
  if (hasEncoding(req.headers)) return { ok: false, error: 'unsupported_encoding' };
  const type = mediaType(req.headers);
  if (type.startsWith('multipart/')) return { ok: false, error: 'unsupported_content_type' };
  const fmt: BodyFormat =
    format !== 'auto' ? format : type === 'application/json' || type.endsWith('+json') ? 'json' : 'form';
  if (req.bodyTruncated === true) return { ok: false, error: 'truncated', format: fmt };
  const text = req.body.toString('utf8');
  if (fmt === 'form') return { ok: true, format: fmt, value: parseForm(text) };
  if (text.trim() === '') return { ok: false, error: 'missing', format: fmt };
  try {
    return { ok: true, format: fmt, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch {
    return { ok: false, error: 'invalid_json', format: fmt };
  }
}

/** Parse a form body into a plain object; a repeated key keeps its last value (as Rack and PHP do). */
export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** The body as a field map, or the error to report. Arrays and scalars are `not_an_object`. */
export function bodyObject(parsed: ParsedBody): { fields: Record<string, unknown> } | { error: BodyError } {
  if (!parsed.ok) return { error: parsed.error };
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'not_an_object' };
  return { fields: v as Record<string, unknown> };
}

const MAX_DEPTH = 6;
const MAX_KEYS = 64;
const MAX_STRING = 2048;

/**
 * A copy of `value` small enough to live in params (and so in the audit log): at most 6 levels,
 * 64 keys or items per level, 2,048 characters per string. Deeper parts become '[truncated]'.
 */
export function boundValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' || typeof value === 'boolean'
      ? value
      : value === null
        ? null
        : undefined;
  }
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((v) => boundValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(value)) {
    if (n++ >= MAX_KEYS) break;
    const v = boundValue((value as Record<string, unknown>)[key], depth + 1);
    if (v !== undefined) setOwn(out, key, v);
  }
  return out;
}

/**
 * `obj[key] = value` that also works for agent-chosen keys such as `__proto__` (a plain assignment
 * would replace the object's prototype instead of adding a field).
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** A scalar field value for params: strings are bounded, objects are not scalars. */
export function scalar(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'string') return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

/** Form values are text; numeric and boolean fields are converted so policies can compare them. */
export function coerce(
  value: string | number | boolean,
  kind: 'number' | 'boolean',
): string | number | boolean {
  if (typeof value !== 'string') return value;
  if (kind === 'number') return /^-?\d{1,15}(\.\d{1,15})?$/.test(value) ? Number(value) : value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
