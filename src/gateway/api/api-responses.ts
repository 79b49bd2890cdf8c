// Small helpers for the gateway's own origin-form API: JSON answers, bounded JSON bodies, problems.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../errors/codes.js';
import { readBoundedBody } from '../pipeline/request-body.js';
import { REQUEST_ID_HEADER, sendProblem } from './problem.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    [REQUEST_ID_HEADER]: requestId,
  });
  res.end(text);
}

export function sendApiProblem(
  res: ServerResponse,
  requestId: string,
  code: ErrorCode,
  detail: string,
  headers?: Record<string, string>,
): void {
  sendProblem(res, { code, detail, requestId, headers });
}

/** Reads and parses a JSON body of at most `limit` bytes; answers 400/413 itself and returns undefined. */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  limit: number,
): Promise<{ value: unknown } | undefined> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    sendApiProblem(res, requestId, 'bad_request', 'expected a JSON body (Content-Type: application/json)');
    return undefined;
  }
  const read = await readBoundedBody(req, limit);
  if (!read.ok) {
    if (read.reason === 'too_large') {
      sendApiProblem(res, requestId, 'request_too_large', `the body is larger than ${limit} bytes`, {
        connection: 'close',
      });
    } else res.destroy();
    return undefined;
  }
  try {
    return { value: JSON.parse(read.body.toString('utf8')) };
  } catch {
    sendApiProblem(res, requestId, 'bad_request', 'the body is not valid JSON');
    return undefined;
  }
}
