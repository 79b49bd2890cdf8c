// RFC 9457 problem documents built from the one catalogue (./codes.ts). Pure: the gateway writes
// them on raw sockets and responses, the control plane through Fastify, and both send the same shape.
import type { ProblemDocument } from '../wire/problem.js';
import { ERROR_CODES, type ErrorCode } from './codes.js';

export const PROBLEM_TYPE_BASE = 'https://tameflare.dev/problems/';

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'code', 'request_id', 'message', 'error']);

/**
 * `extensions` add members of a particular problem (agent, required_role, errors...); undefined ones
 * are left out and none may replace a standard member.
 */
export function problemDocument(
  code: ErrorCode,
  detail: string,
  options: { requestId?: string | undefined; extensions?: Record<string, unknown> | undefined } = {},
): ProblemDocument {
  const { status, title } = ERROR_CODES[code];
  const document: Record<string, unknown> = { type: PROBLEM_TYPE_BASE + code, title, status, detail, code };
  if (options.requestId !== undefined) document.request_id = options.requestId;
  for (const [name, value] of Object.entries(options.extensions ?? {}))
    if (value !== undefined && !RESERVED.has(name)) document[name] = value;
  // Members for clients built on provider SDKs, which read only their own error shapes: the OpenAI
  // SDKs take `error.message`, the Anthropic SDKs and many others a top-level `message`. Without them
  // an agent sees "403 (no body)" and never learns why it was refused.
  const message = `${title}: ${detail}`;
  document.message = message;
  document.error = { type: code, code, message };
  return document as ProblemDocument;
}
