// What the gateway answers when Node's HTTP parser refuses a request, on the listening ports and
// inside intercepted tunnels alike: a header block over the limit is 431 (RFC 6585), anything else the
// parser rejects (CL+TE together, bad chunking, an invalid method or header) is 400; both as
// problem+json, and the connection is closed, since the parser's position in the stream is lost.
// A timeout or a peer that already went away gets no answer at all (nobody is reading).

import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { type ProblemInput, writeProblemToSocket } from '../api/problem.js';
import { newRequestId } from '../pipeline/request-id.js';

/** The problem for a parser error, or undefined when the connection should just be closed. */
export function clientErrorProblem(err: NodeJS.ErrnoException): ProblemInput | undefined {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') {
    return undefined;
  }
  const requestId = newRequestId();
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      code: 'request_header_too_large',
      detail: 'the request line and headers are larger than this gateway accepts (16 KiB)',
      requestId,
    };
  }
  // The parser's reason names the malformed part (never a header value), e.g. HPE_INVALID_METHOD.
  const reason = /^HPE_[A-Z_]+$/.test(code) ? ` (${code})` : '';
  return { code: 'bad_request', detail: `the request could not be parsed as HTTP/1.1${reason}`, requestId };
}

/** A `clientError` listener for an http.Server: answers with problem+json where someone can read it. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const problem = socket.writable ? clientErrorProblem(err) : undefined;
  if (!problem) {
    socket.destroy();
    return;
  }
  writeProblemToSocket(socket, problem);
  // end() sends FIN; a peer that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * Turns off Node's own Host check (`requireHostHeader`, read per request from the server object): Node
 * would answer an HTTP/1.1 request without Host with a bare 400 before the gateway sees it; the
 * pipeline refuses it itself, as problem+json with a request id (pipeline/host-integrity.ts).
 */
export function withoutNodeHostCheck(server: http.Server): http.Server {
  (server as http.Server & { requireHostHeader: boolean }).requireHostHeader = false;
  return server;
}
