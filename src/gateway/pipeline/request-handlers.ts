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
import { type Admission, type AdmissionDeps, type AdmissionInput, admit } from './admission.js';
import type { TargetAuthority } from './host-integrity.js';
import { type PresentedIdentity, parseProxyAuthorization, presentedIdentity } from './identity.js';
import { newRequestId } from './request-id.js';

export interface HandlerDeps {
  admission: AdmissionDeps;
  forwarder: ForwarderDeps;
  tunnelOf(socket: unknown): TunnelContext | undefined;
  logger: Logger;
}

/**
 * Where a request goes and who sent it, and then the input of its admission and the target of its
 * forwarding: one object per request (each step used to copy it into a new one of its own).
 */
class Resolved implements AdmissionInput {
  readonly requestId: string = newRequestId();
  upgrade = false;
  /** The agent's end, whose closing ends a hold. */
  side: ServerResponse | Duplex | undefined = undefined;
  constructor(
    readonly req: IncomingMessage,
    readonly secure: boolean,
    readonly host: string,
    readonly port: number,
    /** Origin-form path and query as received. */
    readonly target: string,
    readonly who: PresentedIdentity,
    readonly tunnel: TunnelContext | undefined,
    readonly targetAuthority: TargetAuthority | undefined,
  ) {}

  /** The forwarder's name for the target. */
  get path(): string {
    return this.target;
  }

  signal(): AbortSignal {
    return goneSignal(this.side!);
  }
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
        // The common case (this runs for every request inside every tunnel).
        return new Resolved(req, tunnel.secure, tunnel.host, tunnel.port, raw, tunnel.who, tunnel, undefined);
      }
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
      return new Resolved(
        req,
        tunnel.secure,
        tunnel.host,
        tunnel.port,
        u.pathname + u.search,
        tunnel.who,
        tunnel,
        {
          host: normaliseHost(u.hostname),
          port,
        },
      );
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
    return new Resolved(
      req,
      false,
      normaliseHost(url.hostname),
      url.port ? Number(url.port) : 80,
      url.pathname + url.search,
      presentedIdentity(auth?.username ?? '', auth?.password ?? '', dedicatedPort),
      undefined,
      undefined,
    );
  }

  /** Admission for a resolved request; `side` is the agent's end, whose closing ends a hold. */
  function admitResolved(r: Resolved, upgrade: boolean, side: ServerResponse | Duplex) {
    r.upgrade = upgrade;
    r.side = side;
    return admit(deps.admission, r);
  }

  /** Synchronous unless admission has to wait (a body to read, a hold, strict durability). */
  function handle(req: IncomingMessage, res: ServerResponse, r: Resolved): Promise<void> | undefined {
    const admission = admitResolved(r, false, res);
    if (admission instanceof Promise) return admission.then((a) => respond(req, res, r, a));
    respond(req, res, r, admission);
    return undefined;
  }

  function respond(req: IncomingMessage, res: ServerResponse, r: Resolved, admitted: Admission): void {
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
    forwardHttp(deps.forwarder, admitted, req, res, r);
  }

  function run(req: IncomingMessage, res: ServerResponse, r: Resolved | string): void {
    if (typeof r === 'string') {
      answer(res, { code: 'bad_request', detail: r, requestId: newRequestId() });
      return;
    }
    try {
      handle(req, res, r)?.catch((err: unknown) => failed(res, err));
    } catch (err) {
      failed(res, err);
    }
  }

  function failed(res: ServerResponse, err: unknown): void {
    deps.logger.error({ err }, 'proxy request failed');
    if (!res.headersSent)
      answer(res, { code: 'internal_error', detail: 'internal error', requestId: newRequestId() });
    else res.destroy();
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
    const admitted = await admitResolved(r, true, socket);
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
    forwardWebSocket(deps.forwarder, admitted, req, socket, head, r);
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
