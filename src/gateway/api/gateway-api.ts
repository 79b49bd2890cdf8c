// The gateway's own API on its shared port, in origin form: /health (the seed's shape), /metrics
// (Prometheus text) and /internal/* (service token). Agent ports answer only proxy requests.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { newRequestId } from '../pipeline/request-id.js';
import { sendApiProblem, sendJson } from './api-responses.js';
import { REQUEST_ID_HEADER } from './problem.js';

export interface GatewayApiDeps {
  health(): Record<string, unknown>;
  registry: Registry;
  internal(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void>;
  logger: Logger;
}

export function createGatewayApi(deps: GatewayApiDeps) {
  return function handleOriginForm(
    req: IncomingMessage,
    res: ServerResponse,
    dedicatedPort: number | null,
  ): void {
    const requestId = newRequestId();
    if (dedicatedPort !== null) {
      sendApiProblem(
        res,
        requestId,
        'bad_request',
        'this is an agent proxy port: send proxy requests (absolute URLs or CONNECT); the gateway API is on the main port',
      );
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      sendApiProblem(res, requestId, 'bad_request', 'the request target could not be parsed');
      return;
    }
    const method = req.method ?? 'GET';
    if (url.pathname === '/health' && (method === 'GET' || method === 'HEAD')) {
      sendJson(res, 200, deps.health(), requestId);
      return;
    }
    if (url.pathname === '/metrics' && method === 'GET') {
      deps.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': deps.registry.contentType, [REQUEST_ID_HEADER]: requestId });
          res.end(text);
        },
        (err: unknown) => fail(res, requestId, err),
      );
      return;
    }
    if (url.pathname === '/internal' || url.pathname.startsWith('/internal/')) {
      deps.internal(req, res, url, requestId).catch((err: unknown) => fail(res, requestId, err));
      return;
    }
    sendApiProblem(res, requestId, 'not_found', `no gateway endpoint ${method} ${url.pathname}`);
  };

  function fail(res: ServerResponse, requestId: string, err: unknown): void {
    // Logged once here, where it is handled; the answer says nothing about internals.
    deps.logger.error({ err, requestId }, 'gateway API request failed');
    if (!res.headersSent)
      sendApiProblem(res, requestId, 'internal_error', 'internal error; see the gateway log');
    else res.destroy();
  }
}
