// Maps errors to JSON bodies with stable codes. 5xx answers never carry internals; the error is
// logged once, here.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors/codes.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> | undefined };
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AppError) {
    void reply.status(err.status).send(errorBody(err.code, err.message, err.details));
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const message = fe.validation
      .map(
        (v) =>
          `${fe.validationContext ?? 'body'}${v.instancePath || ''} ${v.message ?? 'is invalid'}${
            v.keyword === 'additionalProperties'
              ? ` (${String((v.params as { additionalProperty?: string }).additionalProperty)})`
              : ''
          }`,
      )
      .join('; ');
    void reply.status(400).send(errorBody('validation_failed', message));
    return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, body too large, unsupported media type.
    void reply.status(fe.statusCode).send(errorBody('bad_request', fe.message));
    return;
  }
  req.log.error({ err }, 'request failed');
  void reply.status(500).send(errorBody('internal_error', ERROR_CODES.internal_error.title));
}
