// WebSocket handshakes are decided like any request (admission), then the upstream handshake is sent
// with the credential injected and, once the upstream answers 101, bytes are piped both ways until
// either side closes. The kill switch cuts these like any stream.
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { VaultRecordUnreadable, type VaultStore } from '../../vault/vault-store.js';
import type { GatewayMetrics } from '../api/gateway-metrics.js';
import { REQUEST_ID_HEADER, writeProblemToSocket } from '../api/problem.js';
import type { Admitted } from '../pipeline/admission.js';
import type { ActiveConnections } from '../state/active-connections.js';
import { forwardResponseHeaders, upstreamAuthority } from './forward-headers.js';
import { prepareUpstreamRequest } from './prepare-upstream-request.js';
import type { Upstream, UpstreamFailure } from './upstream.js';

export interface WebSocketDeps {
  upstream: Upstream;
  vault: VaultStore;
  active: ActiveConnections;
  metrics: GatewayMetrics;
}

export function forwardWebSocket(
  deps: WebSocketDeps,
  admitted: Admitted,
  req: IncomingMessage,
  client: Duplex,
  clientHead: Buffer,
  target: { secure: boolean; host: string; port: number; path: string },
): void {
  const { record } = admitted;
  const requestId = record.requestId;
  const base = { requestId, agent: admitted.agent.name, action: admitted.match.action };
  const fail = (f: UpstreamFailure) => {
    deps.metrics.upstreamErrors.inc({ kind: f.kind });
    const p = writeProblemToSocket(client, { code: f.code, detail: f.detail, ...base });
    record.finish({ status: p.status, error: f.detail });
  };
  let prepared: ReturnType<typeof prepareUpstreamRequest>;
  try {
    prepared = prepareUpstreamRequest(
      admitted,
      req.rawHeaders,
      target.path,
      deps.vault.get(admitted.connector.name),
      { authority: upstreamAuthority(target), websocket: true },
    );
  } catch (err) {
    if (!(err instanceof VaultRecordUnreadable)) throw err;
    const p = writeProblemToSocket(client, { code: 'unavailable', detail: err.message, ...base });
    record.finish({ status: p.status, error: 'credential unreadable' });
    return;
  }
  const blocked = deps.upstream.precheck(target);
  if (blocked) {
    fail(blocked);
    return;
  }

  let upstreamReq: ClientRequest;
  try {
    upstreamReq = deps.upstream.request(target, 'GET', prepared.path, prepared.headers, fail);
  } catch (err) {
    const detail = `the handshake cannot be forwarded: ${(err as NodeJS.ErrnoException).code ?? 'invalid request'}`;
    const p = writeProblemToSocket(client, { code: 'bad_request', detail, ...base });
    record.finish({ status: p.status, error: detail });
    return;
  }
  const onClientGone = () => upstreamReq.destroy();
  client.once('close', onClientGone);

  upstreamReq.on('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
    client.removeListener('close', onClientGone);
    let head = `HTTP/1.1 101 ${upRes.statusMessage || 'Switching Protocols'}\r\n`;
    const headers = forwardResponseHeaders(upRes.rawHeaders, { websocket: true });
    headers.push(REQUEST_ID_HEADER, requestId);
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    client.write(`${head}\r\n`);
    if (upHead.length > 0) client.write(upHead);
    if (clientHead.length > 0) upSocket.write(clientHead);
    let bytesIn = clientHead.length;
    let bytesOut = upHead.length;
    client.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
    });
    upSocket.on('data', (chunk: Buffer) => {
      bytesOut += chunk.length;
    });
    const untrack = deps.active.add({
      kind: 'websocket',
      agent: admitted.agent.name,
      connector: admitted.connector.name,
      connectorType: admitted.connector.type,
      who: undefined,
      host: target.host,
      port: target.port,
      cut: (reason) => {
        cutReason = reason;
        client.destroy();
        upSocket.destroy();
      },
    });
    let closed = false;
    let cutReason: string | undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      untrack();
      client.destroy();
      upSocket.destroy();
      record.finish({ status: 101, bytesIn, bytesOut, error: cutReason });
    };
    for (const s of [client, upSocket]) {
      s.on('error', close);
      s.on('close', close);
    }
    client.pipe(upSocket);
    upSocket.pipe(client);
  });

  // The upstream refused the upgrade: relay its answer, then close.
  upstreamReq.on('response', (upRes: IncomingMessage) => {
    client.removeListener('close', onClientGone);
    let head = `HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}\r\n`;
    const headers = forwardResponseHeaders(upRes.rawHeaders);
    headers.push(REQUEST_ID_HEADER, requestId, 'Connection', 'close');
    const chunked = upRes.headers['content-length'] === undefined;
    if (chunked) headers.push('Transfer-Encoding', 'chunked');
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    client.write(`${head}\r\n`);
    upRes.on('data', (chunk: Buffer) => {
      if (!chunked) {
        client.write(chunk);
        return;
      }
      client.write(`${chunk.length.toString(16)}\r\n`);
      client.write(chunk);
      client.write('\r\n');
    });
    upRes.on('end', () => {
      client.end(chunked ? '0\r\n\r\n' : undefined);
      record.finish({ status: upRes.statusCode ?? null });
    });
    upRes.on('error', () => {
      client.destroy();
      record.finish({ status: upRes.statusCode ?? null, error: 'upstream stream failed' });
    });
  });
  upstreamReq.end();
}
