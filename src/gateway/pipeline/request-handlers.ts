// Entry points of the pipeline: absolute-form requests on a listening port, requests inside a
// tunnel (intercepted TLS or plain HTTP after CONNECT), and WebSocket handshakes on either. Each
// works out the target and the presented identity, runs admission, then forwards or answers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { normaliseHost } from '../../connectors/connector-index.js';
import {
  type ProblemInput,
  REQUEST_ID_HEADER,
  type RenderedProblem,
  sendProblem,
  writeProblemToSocket,
} from '../api/problem.js';
import { isWebSocketUpgrade } from '../forward/forward-headers.js';
import { type ForwarderDeps, forwardHttp } from '../forward/http-forwarder.js';
import { forwardWebSocket } from '../forward/websocket-forwarder.js';
import type { TunnelContext } from '../listen/interception.js';
import { type AdmissionDeps, admit } from './admission.js';
import type { TargetAuthority } from './host-integrity.js';
import { type PresentedIdentity, parseProxyAuthorization, presentedIdentity } from './identity.js';
import { newRequestId } from './request-id.js';

export interface HandlerDeps {
  admission: AdmissionDeps;
  forwarder: ForwarderDeps;
  tunnelOf(socket: unknown): TunnelContext | undefined;
  logger: Logger;
}

interface Resolved {
  secure: boolean;
  host: string;
  port: number;
  target: string;
  who: PresentedIdentity;
  tunnel: TunnelContext | undefined;
  targetAuthority: TargetAuthority | undefined;
}

// RFC 9110 4.2.4: userinfo in an http(s) URI is deprecated and a recipient should treat it as an error;
// forwarding it would put a credential on the upstream's request line.
const USERINFO_REFUSED =
  'the request target carries user information (user:password@); send credentials in headers';

export function createRequestHandlers(deps: HandlerDeps) {
  /** Works out where a request goes and who sent it; a string is a reason to refuse with 400. */
  function resolve(
    req: IncomingMessage,
    dedicatedPort: number | null,
    tunnel: TunnelContext | undefined,
  ): Resolved | string {
    const raw = req.url ?? '/';
    if (tunnel) {
      if (raw.charCodeAt(0) === 0x2f /* '/' */) {
        // The common case, built in one go (this runs for every request inside every tunnel).
        return {
          secure: tunnel.secure,
          host: tunnel.host,
          port: tunnel.port,
          target: raw,
          who: tunnel.who,
          tunnel,
          targetAuthority: undefined,
        };
      }
      const base = { secure: tunnel.secure, host: tunnel.host, port: tunnel.port, who: tunnel.who, tunnel };
      // Some clients send absolute-form even inside a tunnel: it must name the tunnel's host too
      // (admission checks), and the tunnel decides where the request goes.
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return 'the request target could not be parsed';
      }
      if (u.username || u.password) return USERINFO_REFUSED;
      const port = u.port ? Number(u.port) : u.protocol === 'https:' || u.protocol === 'wss:' ? 443 : 80;
      return {
        ...base,
        target: u.pathname + u.search,
        targetAuthority: { host: normaliseHost(u.hostname), port },
      };
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'the request target could not be parsed';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'ws:') {
      return `only http:// URLs are proxied in absolute form; use CONNECT for ${url.protocol}//`;
    }
    if (url.username || url.password) return USERINFO_REFUSED;
    const auth = parseProxyAuthorization(req.headers['proxy-authorization']);
    return {
      secure: false,
      host: normaliseHost(url.hostname),
      port: url.port ? Number(url.port) : 80,
      target: url.pathname + url.search,
      who: presentedIdentity(auth?.username ?? '', auth?.password ?? '', dedicatedPort),
      tunnel: undefined,
      targetAuthority: undefined,
    };
  }

  /** Admission for a resolved request; `side` is the agent's end, whose closing ends a hold. */
  function admitResolved(req: IncomingMessage, r: Resolved, upgrade: boolean, side: ServerResponse | Duplex) {
    return admit(deps.admission, {
      requestId: newRequestId(),
      req,
      ...r,
      upgrade,
      signal: () => goneSignal(side),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, r: Resolved): Promise<void> {
    const admitted = await admitResolved(req, r, false, res);
    if (admitted.ok === 'here') {
      const { status, contentType, body } = admitted.answer;
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        [REQUEST_ID_HEADER]: admitted.record.requestId,
      });
      res.end(body);
      admitted.record.finish({ status });
      return;
    }
    if (!admitted.ok) {
      // The problem's status, also where the client's protocol carried it in a 200 (git, MCP).
      const sent = answer(res, admitted.problem, admitted.close);
      admitted.record.finish({ status: sent.document.status });
      return;
    }
    forwardHttp(deps.forwarder, admitted, req, res, forwardTarget(r));
  }

  function run(req: IncomingMessage, res: ServerResponse, r: Resolved | string): void {
    if (typeof r === 'string') {
      answer(res, { code: 'bad_request', detail: r, requestId: newRequestId() });
      return;
    }
    handle(req, res, r).catch((err: unknown) => {
      deps.logger.error({ err }, 'proxy request failed');
      if (!res.headersSent)
        answer(res, { code: 'internal_error', detail: 'internal error', requestId: newRequestId() });
      else res.destroy();
    });
  }

  async function upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    r: Resolved | string,
  ): Promise<void> {
    socket.on('error', () => {}); // an agent resetting mid-handshake is not our error
    if (typeof r === 'string' || !isWebSocketUpgrade(req.headers)) {
      const detail = typeof r === 'string' ? r : 'only WebSocket upgrades are supported';
      writeProblemToSocket(socket, { code: 'bad_request', detail, requestId: newRequestId() });
      return;
    }
    const admitted = await admitResolved(req, r, true, socket);
    if (admitted.ok === 'here') {
      const p = writeProblemToSocket(socket, {
        code: 'bad_request',
        // The doctor's ws probe reads the nonce from this refusal (a 400 is the answer it expects).
        detail: `the doctor host answers no WebSocket; the handshake reached the gateway: ${admitted.answer.body}`,
        requestId: admitted.record.requestId,
      });
      admitted.record.finish({ status: p.status });
      return;
    }
    if (!admitted.ok) {
      const p = writeProblemToSocket(socket, admitted.problem);
      admitted.record.finish({ status: p.status });
      return;
    }
    forwardWebSocket(deps.forwarder, admitted, req, socket, head, forwardTarget(r));
  }

  function upgradeSafely(req: IncomingMessage, socket: Duplex, head: Buffer, r: Resolved | string): void {
    upgrade(req, socket, head, r).catch((err: unknown) => {
      deps.logger.error({ err }, 'WebSocket handshake failed');
      socket.destroy();
    });
  }

  return {
    /** Absolute-form request on a listening port. */
    proxyRequest(req: IncomingMessage, res: ServerResponse, dedicatedPort: number | null): void {
      run(req, res, resolve(req, dedicatedPort, undefined));
    },
    /** A request inside a tunnel (the inner server's handler). */
    tunnelRequest(req: IncomingMessage, res: ServerResponse): void {
      const tunnel = deps.tunnelOf(req.socket);
      if (!tunnel) {
        res.destroy();
        return;
      }
      disarm(tunnel);
      run(req, res, resolve(req, null, tunnel));
    },
    proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, dedicatedPort: number | null): void {
      upgradeSafely(req, socket, head, resolve(req, dedicatedPort, undefined));
    },
    tunnelUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const tunnel = deps.tunnelOf(req.socket);
      if (!tunnel) {
        socket.destroy();
        return;
      }
      disarm(tunnel);
      upgradeSafely(req, socket, head, resolve(req, null, tunnel));
    },
  };
}

function forwardTarget(r: Resolved): { secure: boolean; host: string; port: number; path: string } {
  return { secure: r.secure, host: r.host, port: r.port, path: r.target };
}

/** The first request is in: from here on the inner server's keep-alive timeout governs idleness. */
function disarm(tunnel: TunnelContext): void {
  if (tunnel.firstRequestTimer === undefined) return;
  clearTimeout(tunnel.firstRequestTimer);
  tunnel.firstRequestTimer = undefined;
}

/** Aborts when the agent's side closes. Built lazily: most requests never wait on anything. */
function goneSignal(side: {
  once(event: 'close', cb: () => void): unknown;
  destroyed: boolean;
}): AbortSignal {
  const abort = new AbortController();
  if (side.destroyed) abort.abort();
  else side.once('close', () => abort.abort());
  return abort.signal;
}

function answer(res: ServerResponse, problem: ProblemInput, close = false): RenderedProblem {
  return sendProblem(
    res,
    close ? { ...problem, headers: { ...problem.headers, connection: 'close' } } : problem,
  );
}
