// Every error the control plane answers is RFC 9457 problem+json, built from the one catalogue by
// the same function as the gateway's (src/errors/problem-document.ts). 5xx answers never carry
// internals; such an error is logged once, here, with the request id the answer names.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { problemDocument } from '../errors/problem-document.js';
import { PROBLEM_CONTENT_TYPE } from '../wire/problem.js';

export const REQUEST_ID_HEADER = 'x-tameflare-request-id';

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extensions?: Record<string, unknown>,
): FastifyReply {
  const document = problemDocument(code, detail, { requestId: reply.request.id, extensions });
  return reply
    .status(document.status)
    .type(PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .header(REQUEST_ID_HEADER, reply.request.id)
    .send(JSON.stringify(document));
}

export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AppError) {
    void sendProblem(reply, err.code, err.message, err.details);
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const detail = fe.validation
      .map(
        (v) =>
          `${fe.validationContext ?? 'body'}${v.instancePath || ''} ${v.message ?? 'is invalid'}${
            v.keyword === 'additionalProperties'
              ? ` (${String((v.params as { additionalProperty?: string }).additionalProperty)})`
              : ''
          }`,
      )
      .join('; ');
    void sendProblem(reply, 'validation_failed', detail);
    return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, body too large, unsupported media type.
    void sendProblem(reply, FASTIFY_CODES[fe.statusCode] ?? 'bad_request', fe.message);
    return;
  }
  req.log.error({ err }, 'request failed');
  void sendProblem(reply, 'internal_error', ERROR_CODES.internal_error.title);
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
}

/** Fastify's 4xx statuses other than 400, by the catalogue's code for them. */
const FASTIFY_CODES: Record<number, ErrorCode> = {
  413: 'request_too_large',
  415: 'unsupported_media_type',
};
