// The error answer of the whole /v1 API (and of the gateway): RFC 9457 problem+json.
import type { ErrorCode } from '../errors/codes.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  /** `https://tameflare.dev/problems/<code>` */
  type: string;
  title: string;
  status: number;
  /** What went wrong in this case, safe to show to whoever called. Clients print this. */
  detail: string;
  code: ErrorCode;
  request_id?: string;
  /** Compatibility for clients that read only `message` (e.g. Anthropic SDKs): `title: detail`. */
  message: string;
  /** Compatibility for clients that read only `error.message` (e.g. OpenAI SDKs). */
  error: { type: ErrorCode; code: ErrorCode; message: string };
  /** Extension members of particular codes, e.g. `required_role` or `errors` (validation). */
  [extension: string]: unknown;
}

/** One problem in a document that failed validation (`validation_failed` answers carry `errors`). */
export interface ValidationIssue {
  path: string;
  message: string;
  line?: number | undefined;
}
