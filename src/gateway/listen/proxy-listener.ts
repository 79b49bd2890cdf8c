// One listening port driven by proxy-chain: the shared gateway port (9443) or an agent's dedicated
// port. proxy-chain parses CONNECT, Proxy-Authorization, tracks connections and writes the
// `200 Connection Established`; the gateway supplies the decisions. Plain requests are dispatched
// here before proxy-chain's own forwarder sees them: origin-form (`GET /health`) is the gateway API
// (proxy-chain would answer 400), absolute-form goes through the same pipeline as requests inside
// tunnels (proxy-chain's forwarder cannot read a bounded body, inject, or stream with our answers).

import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type PrepareRequestFunctionOpts, type PrepareRequestFunctionResult, Server } from 'proxy-chain';
import { ERROR_CODES, type ErrorCode } from '../../errors/codes.js';
import { rawResponse, reasonPhrase, renderProblem } from '../api/problem.js';
import { newRequestId } from '../pipeline/request-id.js';
import { clientErrorProblem, withoutNodeHostCheck } from './client-errors.js';

export interface ListenerHandlers {
  /** Origin-form requests: the gateway API on the shared port, a refusal on agent ports. */
  originForm(req: http.IncomingMessage, res: http.ServerResponse, dedicatedPort: number | null): void;
  /** Absolute-form `GET http://host/path`. */
  proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, dedicatedPort: number | null): void;
  /** Absolute-form WebSocket upgrade (`GET ws://...` sent as `http://`). */
  proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, dedicatedPort: number | null): void;
  /** CONNECT: identify, decide coverage, and return the tunnel server (or throw RequestError). */
  connect(
    opts: PrepareRequestFunctionOpts,
    dedicatedPort: number | null,
  ): Promise<PrepareRequestFunctionResult>;
}

// Idle keep-alive connections from agents stay open this long: a new intercepted TLS connection
// costs 1.3-1.6 ms of CPU, so reuse matters more than the few sockets kept.
export const CLIENT_KEEP_ALIVE_MS = 30_000;

class DispatchingProxyServer extends Server {
  handlers!: ListenerHandlers;
  dedicatedPort: number | null = null;

  // proxy-chain binds `this.onRequest` in its constructor, so this override receives every plain request.
  override async onRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = request.url ?? '';
    if (url.startsWith('/') || url === '*') this.handlers.originForm(request, response, this.dedicatedPort);
    else this.handlers.proxyRequest(request, response, this.dedicatedPort);
  }

  // proxy-chain answers every parser error with a plain 400; a header block over the limit is 431.
  override onClientError(err: NodeJS.ErrnoException, socket: Parameters<Server['onClientError']>[1]): void {
    const problem = socket.writable ? clientErrorProblem(err) : undefined;
    if (!problem) {
      socket.destroy();
      return;
    }
    writeRendered(socket, renderProblem(problem));
  }

  // proxy-chain's own refusals (a CONNECT target it cannot parse, a Proxy-Authorization that is not
  // Basic, a malformed request) are plain text; ours arrive here already as problem+json. Rewrite the
  // former so every answer the gateway writes is problem+json with a request id, and write both
  // ourselves: proxy-chain's status line would say only "403 Forbidden".
  override sendSocketResponse(
    socket: Parameters<Server['sendSocketResponse']>[0],
    statusCode = 500,
    headers: Record<string, string> = {},
    message = '',
  ): void {
    const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    if (type?.startsWith('application/problem+json')) {
      writeRendered(socket, { status: statusCode, reason: reasonOf(message), headers, body: message });
      return;
    }
    const code = statusCode === 407 ? 'agent_unknown' : statusCode >= 500 ? 'internal_error' : 'bad_request';
    const problem = renderProblem({
      code,
      // proxy-chain's messages name the malformed input, never a credential; keep them short.
      detail: statusCode >= 500 ? 'internal error' : message.slice(0, 200) || 'bad request',
      requestId: newRequestId(),
    });
    writeRendered(socket, problem);
  }
}

/** As proxy-chain writes its answers: FIN after the answer, and a reset if the peer never reads. */
function writeRendered(
  socket: Duplex & { setTimeout?: Socket['setTimeout'] },
  problem: Parameters<typeof rawResponse>[0],
): void {
  try {
    socket.setTimeout?.(1000, () => socket.destroy());
    socket.end(rawResponse(problem));
  } catch {
    socket.destroy();
  }
}

/** The reason phrase of one of our problem documents (thrown by the CONNECT handler as text). */
function reasonOf(body: string): string {
  try {
    const doc = JSON.parse(body) as { code?: ErrorCode; action?: string };
    if (doc.code && doc.code in ERROR_CODES) return reasonPhrase(doc.code, doc.action);
  } catch {}
  return 'Error';
}

export class ProxyListener {
  readonly #server: DispatchingProxyServer;
  readonly dedicatedPort: number | null;
  #closing: Promise<void> | undefined;

  constructor(opts: {
    host: string;
    port: number;
    dedicatedPort: number | null;
    handlers: ListenerHandlers;
  }) {
    this.dedicatedPort = opts.dedicatedPort;
    const server = new DispatchingProxyServer({
      host: opts.host,
      port: opts.port,
      authRealm: 'tameflare',
      prepareRequestFunction: (prep) => opts.handlers.connect(prep, opts.dedicatedPort),
    });
    server.handlers = opts.handlers;
    server.dedicatedPort = opts.dedicatedPort;
    const inner = server.server as http.Server;
    inner.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
    inner.headersTimeout = CLIENT_KEEP_ALIVE_MS + 5_000;
    withoutNodeHostCheck(inner);
    inner.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      opts.handlers.proxyUpgrade(req, socket, head, opts.dedicatedPort);
    });
    this.#server = server;
  }

  /** Binds; rejects with the listen error (EADDRINUSE keeps its `code`). Resolves to the real port. */
  async start(): Promise<number> {
    await this.#server.listen();
    return this.#server.port;
  }

  get port(): number {
    return this.#server.port;
  }

  get connectionCount(): number {
    return this.#server.connections.size;
  }

  /** Stops accepting, lets in-flight work finish for `graceMs`, then cuts what is left. */
  close(graceMs: number): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const inner = this.#server.server as http.Server;
      if (!inner.listening) {
        this.#server.closeConnections();
        resolve();
        return;
      }
      const timer = setTimeout(() => this.#server.closeConnections(), graceMs);
      inner.close(() => {
        clearTimeout(timer);
        resolve();
      });
      inner.closeIdleConnections();
    });
    return this.#closing;
  }
}
