// Every answer the gateway writes itself is RFC 9457 problem+json, unless the request came from a
// client that shows only its own protocol's errors (git, MCP: see ./denial-answer.ts), which gets the
// same problem in that protocol. The status comes from the one catalogue (src/errors/codes.ts); this
// file only renders. The reason phrase names the action and the code, because many clients print
// only the status line ("403 Forbidden" said nothing). Nothing here may carry a credential: the detail
// is built from decision reasons and names (agent, connector, action), never from headers.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, type ErrorCode } from '../../errors/codes.js';
import { problemDocument } from '../../errors/problem-document.js';
import type { ProblemDocument } from '../../wire/problem.js';

export const REQUEST_ID_HEADER = 'X-TameFlare-Request-Id';
export const PROXY_AUTHENTICATE = 'Basic realm="tameflare"';
/** With the charset: some clients (Octokit) read a JSON type without one as bytes. */
export const GATEWAY_PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** The same refusal in a client's own protocol (a JSON-RPC error, git's report-status...). */
export interface DenialAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
}

export interface ProblemInput {
  code: ErrorCode;
  detail: string;
  requestId: string;
  agent?: string | undefined;
  action?: string | undefined;
  approvalId?: string | undefined;
  /** Extra response headers (Retry-After, X-TameFlare-Kill-Switch, Proxy-Authenticate, ...). */
  headers?: Record<string, string> | undefined;
  /** The answer in the client's own protocol, when the request says which one (./denial-answer.ts). */
  answerAs?: ((problem: ProblemDocument, reason: string) => DenialAnswer | undefined) | undefined;
}

export interface RenderedProblem {
  /** The status sent: the problem's, or 200 where a protocol carries its errors in the body. */
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** The problem itself; its status is the one to record. */
  document: ProblemDocument;
}

export function renderProblem(input: ProblemInput): RenderedProblem {
  const document = problemDocument(input.code, input.detail, {
    requestId: input.requestId,
    extensions: { agent: input.agent, action: input.action, approval_id: input.approvalId },
  });
  const reason = reasonPhrase(input.code, input.action);
  const custom = input.answerAs?.(document, reason);
  const body = custom?.body ?? JSON.stringify(document);
  const headers: Record<string, string> = {
    'content-type': custom?.contentType ?? GATEWAY_PROBLEM_TYPE,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    [REQUEST_ID_HEADER.toLowerCase()]: input.requestId,
    ...lowerCaseKeys(input.headers),
  };
  if (input.code === 'agent_unknown') headers['proxy-authenticate'] ??= PROXY_AUTHENTICATE;
  return { status: custom?.status ?? document.status, reason, headers, body, document };
}

/**
 * `Denied by TameFlare: github.repo.delete (permission_denied)`, or `TameFlare: <title> (<code>)`
 * when no action was mapped. Only the characters RFC 9110 allows in a reason phrase (Node refuses
 * others), and short: some clients print it on one line.
 */
export function reasonPhrase(code: ErrorCode, action?: string | undefined): string {
  const text = action
    ? `Denied by TameFlare: ${action} (${code})`
    : `TameFlare: ${ERROR_CODES[code].title} (${code})`;
  return text.replace(/[^\x20-\x7e\t]/g, '?').slice(0, 160);
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
  res.writeHead(problem.status, problem.reason, problem.headers);
  res.end(problem.body);
  return problem;
}

/** Writes a complete HTTP/1.1 answer on a raw socket (CONNECT refusals, upgrade refusals) and closes it. */
export function writeProblemToSocket(socket: Duplex, input: ProblemInput): RenderedProblem {
  const problem = renderProblem(input);
  socket.end(rawResponse(problem));
  return problem;
}

export function rawResponse(
  problem: Pick<RenderedProblem, 'status' | 'reason' | 'headers' | 'body'>,
): Buffer {
  let text = `HTTP/1.1 ${problem.status} ${problem.reason}\r\n`;
  for (const [name, value] of Object.entries(problem.headers)) text += `${name}: ${value}\r\n`;
  text += 'connection: close\r\n\r\n';
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(problem.body)]);
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  if (!headers) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
