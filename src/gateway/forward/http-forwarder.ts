// Steps 6-8 for an admitted HTTP request: inject the credential, strip what must not cross, forward,
// and stream the answer back without buffering, through the pooled undici client (upstream.ts).
// Backpressure holds both ways (undici pulls a request body as it can send it; the response body is
// pumped by hand and the upstream paused while the agent's side is full), so a slow agent slows the
// upstream read and memory stays flat; both sides are torn down on failure: an agent that disconnects
// aborts the upstream request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
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
import { describeUpstreamError, type Upstream, type UpstreamFailure } from './upstream.js';

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
  deps.active.track(f);
  (res as Carrying)[FORWARDING] = f;
  // The agent going away before the answer is complete aborts the upstream request.
  res.on('close', onAgentClose);
  try {
    deps.upstream.dispatch(
      target,
      {
        method: req.method ?? 'GET',
        path: prepared.path,
        headers: prepared.headers,
        body: requestBody(f, req),
      },
      f,
    );
  } catch (err) {
    f.onError(err as Error);
  }
}

/**
 * What is sent as the body: nothing for the many requests without one; the bytes already read for
 * mapping, re-sent byte for byte, followed by whatever is left; otherwise the agent's stream, counted
 * on the way. It is iterated with `destroyOnReturn` off: undici giving up on the body (an upstream
 * that fails mid-upload) must not destroy the agent's request, and with it, possibly, the connection
 * its problem response goes out on.
 */
function requestBody(f: Forwarding, req: IncomingMessage): Buffer | AsyncIterable<Buffer> | null {
  const read = f.admitted.body;
  if (req.readableEnded) return read && read.length > 0 ? read : null;
  if (!read && hasNoBody(req)) {
    // Most requests (GET, DELETE...) have no body. Node's server drains the (empty) request itself
    // once the response is done.
    return null;
  }
  return streamedBody(f, req, read);
}

async function* streamedBody(
  f: Forwarding,
  req: IncomingMessage,
  read: Buffer | undefined,
): AsyncGenerator<Buffer> {
  if (read && read.length > 0) yield read;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    f.bytesIn += chunk.length;
    yield chunk;
  }
}

// One forwarded request, from dispatch to the end of its response: undici's handler for it, and its
// entry among the active connections (the kill switch cuts it through `cut`). The agent-side
// listeners are shared functions that find it on the response they are called on (`this`), rather
// than closures made for every request.
const FORWARDING = Symbol('forwarding');
type Carrying = { [FORWARDING]?: Forwarding };

class Forwarding implements ActiveEntry, Dispatcher.DispatchHandler {
  readonly kind = 'stream' as const;
  readonly who = undefined;
  readonly agent: string;
  readonly connector: string;
  readonly connectorType: string;
  readonly host: string;
  readonly port: number;
  bytesIn: number;
  bytesOut = 0;
  /** The response status once its head arrived (undefined before: a failure is then a problem+json). */
  status: number | undefined = undefined;
  /** Recorded (finished) already: whatever comes after is not the row's outcome. */
  done = false;
  cutReason: string | undefined = undefined;
  abortUpstream: ((err?: Error) => void) | undefined = undefined;
  resumeUpstream: (() => void) | undefined = undefined;
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
    this.abortUpstream?.(new Error(reason));
    this.res.destroy();
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
    if (this.done) return;
    this.done = true;
    this.admitted.record.finish({ status, error, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
  }

  // undici's handler (the dispatcher's native interface, called on the event loop).

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.done) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // Interim responses (103 Early Hints...) are the upstream's business: the agent gets the final one.
    if (statusCode < 200 || this.done) return true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    const res = this.res;
    const raw = latin1(rawHeaders);
    const headers = forwardResponseHeaders(raw);
    headers.push(REQUEST_ID_HEADER, this.admitted.record.requestId);
    res.writeHead(statusCode, statusText, headers);
    // A response without a length (event streams, chunked) sends its head now: the first event may be
    // minutes away. Others go out with the first body bytes, one write instead of two.
    if (rawHeaderValue(raw, 'content-length') === undefined) res.flushHeaders();
    res.on('finish', onAgentFinish);
    return true;
  }

  // The body is pumped by hand, counted on the way, with backpressure: a write the agent's side
  // cannot take yet pauses the upstream (false) until 'drain'.
  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    this.bytesOut += chunk.length;
    if (this.res.write(chunk)) return true;
    if (!this.drainWired) {
      this.drainWired = true;
      this.res.on('drain', onAgentDrain);
    }
    return false;
  }

  onComplete(): void {
    if (this.done) return;
    this.res.end(); // recorded on 'finish'
  }

  onError(err: Error): void {
    if (this.done) return;
    const code = (err as NodeJS.ErrnoException).code;
    if (this.status === undefined && (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED')) {
      // What undici refuses to send (a header value or path HTTP does not allow), though our server
      // parsed it: the agent's request cannot be forwarded as it is.
      this.deps.active.untrack(this);
      const detail = `the request cannot be forwarded: ${err.message}`;
      sendProblem(this.res, {
        code: 'bad_request',
        detail,
        requestId: this.admitted.record.requestId,
        agent: this.admitted.agent.name,
        action: this.admitted.match.action,
      });
      this.finish(400, detail);
      return;
    }
    this.deps.active.untrack(this);
    if (this.status === undefined && !this.res.headersSent && this.cutReason === undefined) {
      this.problem(describeUpstreamError(err));
      return;
    }
    // Midway: the agent's response is cut short; what it got so far is all there is.
    this.res.destroy();
    this.finish(this.status ?? null, this.cutReason ?? 'upstream stream failed');
  }
}

function onAgentDrain(this: ServerResponse & Carrying): void {
  this[FORWARDING]?.resumeUpstream?.();
}

function onAgentFinish(this: ServerResponse & Carrying): void {
  const f = this[FORWARDING]!;
  f.deps.active.untrack(f);
  f.finish(f.status ?? null);
}

function onAgentClose(this: ServerResponse & Carrying): void {
  if (this.writableFinished) return;
  const f = this[FORWARDING]!;
  if (f.done) return;
  f.deps.active.untrack(f);
  f.finish(
    this.headersSent ? this.statusCode : null,
    f.cutReason ?? 'agent disconnected before the response completed',
  );
  f.abortUpstream?.();
}

/** undici's raw header list (bytes) as strings, each byte one character, as node:http gives them. */
function latin1(raw: Buffer[]): string[] {
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]!.toString('latin1');
  return out;
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
