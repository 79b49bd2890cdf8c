// Steps 6-8 for an admitted HTTP request: inject the credential, strip what must not cross, forward,
// and stream the answer back without buffering. Backpressure holds both ways (a request body is
// piped; the response body is pumped by hand and the upstream paused while the agent's side is
// full), so a slow agent slows the upstream read and memory stays flat; both sides are torn down on
// failure: an agent that disconnects aborts the upstream request.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { signWebhookBody, webhookSignatureHeader } from '../../connectors/webhook.js';
import type { VaultStore } from '../../vault/vault-store.js';
import { VaultRecordUnreadable } from '../../vault/vault-store.js';
import type { GatewayMetrics } from '../api/gateway-metrics.js';
import { REQUEST_ID_HEADER, sendProblem } from '../api/problem.js';
import type { Admitted } from '../pipeline/admission.js';
import { readBoundedBody } from '../pipeline/request-body.js';
import type { ActiveConnections, ActiveEntry } from '../state/active-connections.js';
import { forwardResponseHeaders, rawHeaderValue, upstreamAuthority } from './forward-headers.js';
import { prepareUpstreamRequest } from './prepare-upstream-request.js';
import type { Upstream, UpstreamFailure, UpstreamFailureListener } from './upstream.js';

export interface ForwarderDeps {
  upstream: Upstream;
  vault: VaultStore;
  active: ActiveConnections;
  metrics: GatewayMetrics;
  logger: Logger;
}

type Target = { secure: boolean; host: string; port: number; path: string };

export function forwardHttp(
  deps: ForwarderDeps,
  admitted: Admitted,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
): void {
  if (admitted.connector.type !== 'webhook' || !deps.vault.has(admitted.connector.name)) {
    forwardPrepared(deps, admitted, req, res, target, undefined);
    return;
  }
  // A webhook with a stored secret is signed over the exact bytes sent, so its whole body is read
  // first (bounded by the connector's limit; beyond it the request is refused, never sent unsigned).
  const { record } = admitted;
  // A request held for approval was read whole already.
  const reading = req.readableEnded
    ? Promise.resolve({ ok: true as const, body: admitted.body ?? Buffer.alloc(0), truncated: false })
    : readBoundedBody(req, admitted.type.maxBodyBytes);
  void reading.then((read) => {
    if (!read.ok) {
      if (read.reason === 'aborted') {
        record.finish({ status: null, error: 'agent disconnected while sending the body' });
        return;
      }
      res.shouldKeepAlive = false; // the unread rest of the body is still on the wire
      sendProblem(res, {
        code: 'request_too_large',
        detail: `${admitted.connector.name} signs webhook bodies up to ${admitted.type.maxBodyBytes} bytes`,
        requestId: record.requestId,
        agent: admitted.agent.name,
        action: admitted.match.action,
      });
      record.finish({ status: 413, error: 'webhook body too large to sign' });
      return;
    }
    let signature: string;
    try {
      const secret = deps.vault.get(admitted.connector.name);
      if (!secret) throw new VaultRecordUnreadable(admitted.connector.name);
      signature = signWebhookBody(secret.reveal(), read.body, Date.now() / 1000);
    } catch (err) {
      if (!(err instanceof VaultRecordUnreadable)) throw err;
      sendProblem(res, {
        code: 'unavailable',
        detail: err.message,
        requestId: record.requestId,
        agent: admitted.agent.name,
      });
      record.finish({ status: 503, error: 'credential unreadable' });
      return;
    }
    const header = { name: webhookSignatureHeader(admitted.connector.options), value: signature };
    forwardPrepared(deps, { ...admitted, body: read.body }, req, res, target, header);
  });
}

function forwardPrepared(
  deps: ForwarderDeps,
  admitted: Admitted,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  extraHeader: { name: string; value: string } | undefined,
): void {
  const { record } = admitted;
  const requestId = record.requestId;

  let prepared: ReturnType<typeof prepareUpstreamRequest>;
  try {
    prepared = prepareUpstreamRequest(
      admitted,
      req.rawHeaders,
      target.path,
      deps.vault.get(admitted.connector.name),
      { authority: upstreamAuthority(target) },
    );
  } catch (err) {
    if (!(err instanceof VaultRecordUnreadable)) throw err;
    sendProblem(res, { code: 'unavailable', detail: err.message, requestId, agent: admitted.agent.name });
    record.finish({ status: 503, error: 'credential unreadable' });
    return;
  }

  if (extraHeader) {
    // The gateway's own header wins over anything the agent sent under that name.
    const kept: string[] = [];
    for (let i = 0; i + 1 < prepared.headers.length; i += 2) {
      if (prepared.headers[i]!.toLowerCase() !== extraHeader.name)
        kept.push(prepared.headers[i]!, prepared.headers[i + 1]!);
    }
    kept.push(extraHeader.name, extraHeader.value);
    prepared = { ...prepared, headers: kept };
  }

  const f = new Forwarding(deps, admitted, res, target);
  const blocked = deps.upstream.precheck(target);
  if (blocked) {
    f.problem(blocked);
    return;
  }
  let upstreamReq: ClientRequest;
  try {
    upstreamReq = deps.upstream.request(target, req.method ?? 'GET', prepared.path, prepared.headers, f);
  } catch (err) {
    // Node refuses to send some targets and header values it would have parsed (ERR_UNESCAPED_CHARACTERS,
    // ERR_INVALID_CHAR): the agent's request cannot be forwarded as it is.
    const detail = `the request cannot be forwarded: ${(err as NodeJS.ErrnoException).code ?? 'invalid request'}`;
    sendProblem(res, {
      code: 'bad_request',
      detail,
      requestId,
      agent: admitted.agent.name,
      action: admitted.match.action,
    });
    record.finish({ status: 400, error: detail });
    return;
  }
  f.upstreamReq = upstreamReq;
  deps.active.track(f);
  (upstreamReq as Carrying)[FORWARDING] = f;
  (res as Carrying)[FORWARDING] = f;
  upstreamReq.on('response', onUpstreamResponse);
  // The agent going away before the answer is complete aborts the upstream request.
  res.on('close', onAgentClose);

  if (req.readableEnded || admitted.body) {
    // The body (if any) was read for mapping: re-send it byte for byte, then whatever is left.
    if (admitted.body && admitted.body.length > 0) upstreamReq.write(admitted.body);
    if (req.readableEnded) {
      upstreamReq.end();
      return;
    }
  } else if (hasNoBody(req)) {
    // Most requests (GET, DELETE...) have no body: nothing to pipe. pipe() wires half a dozen
    // listeners on both streams and removes them again, the largest allocation of a request
    // (~1.4 KB). Node's server drains the (empty) request itself once the response is done.
    upstreamReq.end();
    return;
  }
  req.on('data', (chunk: Buffer) => {
    f.bytesIn += chunk.length;
  });
  req.pipe(upstreamReq);
}

// One forwarded request, from dispatch to the end of its response, and its entry among the active
// connections (the kill switch cuts it through `cut`). Its listeners are shared functions that find
// it on the stream they are called on (`this`), rather than a dozen closures made for every request.
const FORWARDING = Symbol('forwarding');
type Carrying = { [FORWARDING]?: Forwarding };

class Forwarding implements ActiveEntry, UpstreamFailureListener {
  readonly kind = 'stream' as const;
  readonly who = undefined;
  readonly agent: string;
  readonly connector: string;
  readonly connectorType: string;
  readonly host: string;
  readonly port: number;
  bytesIn: number;
  bytesOut = 0;
  failed = false;
  cutReason: string | undefined = undefined;
  upstreamReq: ClientRequest | undefined = undefined;
  upRes: IncomingMessage | undefined = undefined;
  drainWired = false;

  constructor(
    readonly deps: ForwarderDeps,
    readonly admitted: Admitted,
    readonly res: ServerResponse,
    target: Target,
  ) {
    this.agent = admitted.agent.name;
    this.connector = admitted.connector.name;
    this.connectorType = admitted.connector.type;
    this.host = target.host;
    this.port = target.port;
    this.bytesIn = admitted.body?.length ?? 0;
  }

  /** The kill switch (or shutdown): destroys both sides; the reason ends up in the row's error. */
  cut(reason: string): void {
    this.cutReason = reason;
    this.upstreamReq?.destroy();
    this.res.destroy();
  }

  /** A failure before the response (from Upstream's watch), reported once. */
  upstreamFailed(f: UpstreamFailure): void {
    this.failed = true;
    if (!this.res.headersSent) this.problem(f);
    else {
      this.res.destroy();
      this.finish(this.res.statusCode, f.detail);
    }
  }

  problem(failure: UpstreamFailure): void {
    const { deps, admitted, res } = this;
    deps.metrics.upstreamErrors.inc({ kind: failure.kind });
    sendProblem(res, {
      code: failure.code,
      detail: failure.detail,
      requestId: admitted.record.requestId,
      agent: admitted.agent.name,
      action: admitted.match.action,
    });
    this.finish(res.headersSent ? res.statusCode : null, failure.detail);
  }

  finish(status: number | null, error?: string): void {
    this.admitted.record.finish({ status, error, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
  }
}

function onUpstreamResponse(this: ClientRequest & Carrying, upRes: IncomingMessage): void {
  const f = this[FORWARDING]!;
  const res = f.res;
  f.upRes = upRes;
  const headers = forwardResponseHeaders(upRes.rawHeaders);
  headers.push(REQUEST_ID_HEADER, f.admitted.record.requestId);
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
  // A response without a length (event streams, chunked) sends its head now: the first event may be
  // minutes away. Others go out with the first body bytes, one write instead of two. Read from the
  // raw list: `upRes.headers` is built on first access, a whole object per response for one lookup.
  if (rawHeaderValue(upRes.rawHeaders, 'content-length') === undefined) res.flushHeaders();
  // The body is pumped by hand, counted on the way, with backpressure: a write the agent's side
  // cannot take yet pauses the upstream until 'drain'. Neither stream.pipeline() (it builds and
  // aborts an AbortController per call, ~5 % of the gateway's CPU) nor pipe() (half a dozen
  // listeners wired on both streams and removed again, ~1.4 KB per response, plus a second 'data'
  // listener to count the bytes). Failures are wired by hand: the agent leaving is handled by
  // onAgentClose (which destroys the upstream request and with it this response), the upstream
  // failing midway cuts the agent's response. 'finish' and 'close' come once per stream: plain
  // listeners (once() allocates a wrapper per request).
  upRes.on('data', onUpstreamData);
  upRes.on('end', onUpstreamEnd);
  res.on('finish', onAgentFinish);
  upRes.on('error', ignore); // reported through 'close' without `complete`
  upRes.on('close', onUpstreamClose);
}

function onUpstreamData(this: IncomingMessage, chunk: Buffer): void {
  const f = forwardingOf(this);
  f.bytesOut += chunk.length;
  if (f.res.write(chunk)) return;
  this.pause();
  if (f.drainWired) return;
  f.drainWired = true;
  f.res.on('drain', onAgentDrain);
}

function onAgentDrain(this: ServerResponse & Carrying): void {
  this[FORWARDING]?.upRes?.resume();
}

function onUpstreamEnd(this: IncomingMessage): void {
  forwardingOf(this).res.end();
}

function onAgentFinish(this: ServerResponse & Carrying): void {
  const f = this[FORWARDING]!;
  f.deps.active.untrack(f);
  f.finish(f.upRes!.statusCode ?? null);
}

function onUpstreamClose(this: IncomingMessage): void {
  if (this.complete) return;
  const f = forwardingOf(this);
  f.deps.active.untrack(f);
  f.res.destroy();
  f.finish(this.statusCode ?? null, f.cutReason ?? 'upstream stream failed');
}

function onAgentClose(this: ServerResponse & Carrying): void {
  if (this.writableFinished) return;
  const f = this[FORWARDING]!;
  f.deps.active.untrack(f);
  f.upstreamReq!.destroy();
  if (!f.failed)
    f.finish(
      this.headersSent ? this.statusCode : null,
      f.cutReason ?? 'agent disconnected before the response completed',
    );
}

function ignore(): void {}

/** Node links a response to its request (`res.req`, untyped), which carries the forwarding. */
function forwardingOf(upRes: IncomingMessage): Forwarding {
  return (upRes as IncomingMessage & { req: Carrying }).req[FORWARDING] as Forwarding;
}

/**
 * A request without Content-Length and Transfer-Encoding has no body (RFC 9112 6.3), and neither
 * has one with Content-Length: 0; Node's parser frames it the same way.
 */
function hasNoBody(req: IncomingMessage): boolean {
  let length: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // Only names of the right length are compared (no lower-casing of every header).
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return false;
    if (name.length === 14 && name.toLowerCase() === 'content-length') length = raw[i + 1];
  }
  return length === undefined || length.trim() === '0';
}
