// The dashboard's only way to the server: same-origin calls to /v1 with the session cookie. Mutations
// carry the session's CSRF token (CONTRACTS.md); a 401 anywhere means the session is gone, and the
// app returns to the sign-in page.
import type { SchemaError } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Policy and configuration problems with their path and line, when the server sent them. */
  get schemaErrors(): SchemaError[] {
    const errors = this.details.errors;
    return Array.isArray(errors) ? (errors as SchemaError[]) : [];
  }

  get retryAfterSeconds(): number | undefined {
    const v = this.details.retry_after;
    return typeof v === 'number' ? v : undefined;
  }
}

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

export function onSessionLost(handler: () => void): void {
  onUnauthenticated = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The control plane did not answer. Check that it is running.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = readProblem(res, parsed);
    if (res.status === 401 && path !== '/auth/login') onUnauthenticated?.();
    throw err;
  }
  return parsed as T;
}

/** problem+json (`detail`, `code`, extension members) or the older `{error: {code, message, details}}`. */
function readProblem(res: Response, body: unknown): ApiError {
  const b = (body ?? {}) as Record<string, unknown>;
  const legacy = (b.error ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
  const code = (typeof b.code === 'string' && b.code) || legacy.code || `http_${res.status}`;
  const message =
    (typeof b.detail === 'string' && b.detail) ||
    legacy.message ||
    (typeof b.message === 'string' && b.message) ||
    `The server answered ${res.status} ${res.statusText}.`;
  const details: Record<string, unknown> = { ...(legacy.details ?? {}) };
  if (typeof b.details === 'object' && b.details !== null) Object.assign(details, b.details);
  if (Array.isArray(b.errors)) details.errors = b.errors;
  const retry = Number(res.headers.get('retry-after'));
  if (Number.isFinite(retry) && retry > 0) details.retry_after = retry;
  return new ApiError(res.status, code, message, details);
}

/** Path segment for a name taken from the user or the server. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
