// Every answer the gateway writes itself is RFC 9457 problem+json. The status comes from the one
// catalogue (src/errors/codes.ts); this file only renders. Nothing here may carry a credential: the
// detail is built from decision reasons and names (agent, connector, action), never from headers.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../../errors/codes.js';
import { problemDocument } from '../../errors/problem-document.js';

export const REQUEST_ID_HEADER = 'X-TameFlare-Request-Id';
export const PROXY_AUTHENTICATE = 'Basic realm="tameflare"';

export interface ProblemInput {
  code: ErrorCode;
  detail: string;
  requestId: string;
  agent?: string | undefined;
  action?: string | undefined;
  approvalId?: string | undefined;
  /** Extra response headers (Retry-After, X-TameFlare-Kill-Switch, Proxy-Authenticate, ...). */
  headers?: Record<string, string> | undefined;
}

export interface RenderedProblem {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function renderProblem(input: ProblemInput): RenderedProblem {
  const document = problemDocument(input.code, input.detail, {
    requestId: input.requestId,
    extensions: { agent: input.agent, action: input.action, approval_id: input.approvalId },
  });
  const { status } = document;
  const body = JSON.stringify(document);
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    [REQUEST_ID_HEADER.toLowerCase()]: input.requestId,
    ...lowerCaseKeys(input.headers),
  };
  if (input.code === 'agent_unknown') headers['proxy-authenticate'] ??= PROXY_AUTHENTICATE;
  return { status, headers, body };
}

/** Answers on a live ServerResponse; keeps the connection alive unless headers were already sent. */
export function sendProblem(res: ServerResponse, input: ProblemInput): RenderedProblem {
  const problem = renderProblem(input);
  if (res.headersSent) {
    // Too late for a clean answer (a stream failed midway): cutting the connection is the only
    // honest signal left to the client.
    res.destroy();
    return problem;
  }
  res.writeHead(problem.status, problem.headers);
  res.end(problem.body);
  return problem;
}

/** Writes a complete HTTP/1.1 answer on a raw socket (CONNECT refusals, upgrade refusals) and closes it. */
export function writeProblemToSocket(socket: Duplex, input: ProblemInput): RenderedProblem {
  const problem = renderProblem(input);
  socket.end(rawResponse(problem));
  return problem;
}

export function rawResponse(problem: RenderedProblem): string {
  let text = `HTTP/1.1 ${problem.status} ${ERROR_REASON[problem.status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(problem.headers)) text += `${name}: ${value}\r\n`;
  return `${text}connection: close\r\n\r\n${problem.body}`;
}

const ERROR_REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  if (!headers) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
