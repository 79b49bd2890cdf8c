// CONNECT, as proxy-chain's prepareRequestFunction: decide whether a tunnel may open before proxy-chain
// answers `200 Connection Established`. Refusals are problem+json thrown as proxy-chain RequestErrors
// (it writes them and closes the socket). Intercepted tunnels need no decision here, each request
// inside is decided; raw tunnels (intercept=false) are decided once, on `tunnel.connect`, and dialled
// before the 200 so an egress refusal or an unreachable upstream is still a proper answer.

import type * as net from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import {
  type PrepareRequestFunctionOpts,
  type PrepareRequestFunctionResult,
  RequestError,
} from 'proxy-chain';
import { normaliseHost } from '../../connectors/connector-index.js';
import type { ErrorCode } from '../../errors/codes.js';
import { BYPASS_REPORT_HEADER } from '../../wire/bypass-report.js';
import { type ProblemInput, renderProblem } from '../api/problem.js';
import { describeUpstreamError, type Upstream } from '../forward/upstream.js';
import { isDoctorHost } from '../pipeline/doctor-answer.js';
import { identify, presentedIdentity, presentedNothing } from '../pipeline/identity.js';
import { newRequestId } from '../pipeline/request-id.js';
import { RequestRecord } from '../pipeline/request-record.js';
import { type OutcomeDeps, resolveOutcome } from '../pipeline/resolve-outcome.js';
import type { ActiveConnections } from '../state/active-connections.js';
import type { RuntimeConfig } from '../state/runtime-config.js';
import { parseCertificateHost } from '../tls/certificate-host.js';
import { isBypassReport, recordBypassReport } from './bypass-report.js';
import { parseConnectTarget } from './connect-target.js';
import {
  type InterceptionOptions,
  interceptingConnectServer,
  rawTunnelConnectServer,
} from './interception.js';

export interface ConnectDeps extends OutcomeDeps {
  config(): RuntimeConfig;
  upstream: Upstream;
  secureContextFor(host: string): Promise<SecureContext>;
  interception: InterceptionOptions;
  active: ActiveConnections;
  logger: Logger;
  now(): Date;
}

export function createConnectHandler(deps: ConnectDeps) {
  return async function onConnect(
    opts: PrepareRequestFunctionOpts,
    dedicatedPort: number | null,
  ): Promise<PrepareRequestFunctionResult> {
    const requestId = newRequestId();
    const host = normaliseHost(opts.hostname);
    const port = opts.port;
    const who = presentedIdentity(opts.username, opts.password, dedicatedPort);
    const cfg = deps.config();
    const id = identify(cfg, who, deps.now());
    const record = new RequestRecord(deps.records, {
      requestId,
      method: 'CONNECT',
      host,
      path: `${host}:${port}`,
      agent: id.ok ? id.agent.name : (id.agent ?? null),
    });
    const fail = (problem: Omit<ProblemInput, 'requestId'>, error?: string): never => {
      const rendered = renderProblem({ ...problem, requestId });
      record.open();
      record.finish({ status: rendered.status, error });
      throw new RequestError(rendered.body.toString(), rendered.status, rendered.headers);
    };
    const refuse = (code: ErrorCode, detail: string, agent?: string): never => {
      record.refused(code, detail);
      return fail({ code, detail, agent });
    };

    if (!id.ok) {
      if (id.code === 'agent_unknown' && presentedNothing(who)) record.silence();
      return refuse(id.code, id.detail, id.agent);
    }
    const agent = id.agent;
    // proxy-chain parsed the target leniently; only the strict authority form opens a tunnel.
    const target = parseConnectTarget(opts.request.url ?? '');
    if (!target.ok) return refuse('bad_request', target.reason, agent.name);
    if (isBypassReport(host)) {
      const bypass = recordBypassReport(
        record,
        deps.records.metrics,
        opts.request.headers[BYPASS_REPORT_HEADER],
      );
      return fail({ ...bypass, agent: agent.name });
    }
    // The doctor's test host is answered inside an intercepted tunnel (pipeline/doctor-answer.ts).
    if (isDoctorHost(host)) {
      const secureContext = deps.secureContextFor(host);
      secureContext.catch(() => {});
      return {
        customConnectServer: interceptingConnectServer(
          deps.interception,
          { host, port, who, agent: agent.name },
          secureContext,
        ),
      };
    }
    const connector = cfg.connectors.lookup(host, port);
    if (!connector) return refuse('connector_not_found', `no connector covers ${host}:${port}`, agent.name);

    if (connector.intercept) {
      try {
        parseCertificateHost(host);
      } catch {
        return refuse('bad_request', 'the CONNECT target is not a valid host name or IP address', agent.name);
      }
      // Start minting now: the certificate is ready (or nearly) when the ClientHello arrives. And warm
      // the upstream connection meanwhile (port 80 tunnels usually carry plain HTTP: not those).
      const secureContext = deps.secureContextFor(host);
      secureContext.catch(() => {}); // reported when the tunnel awaits it
      if (port !== 80) deps.upstream.preconnect({ secure: true, host, port });
      return {
        customConnectServer: interceptingConnectServer(
          deps.interception,
          { host, port, who, agent: agent.name },
          secureContext,
        ),
      };
    }

    // A raw tunnel: one decision for the whole tunnel.
    record.open();
    record.entry.connector = connector.name;
    const resolved = await resolveOutcome(deps, cfg.decisions, {
      requestId,
      record,
      agent,
      connector,
      match: { action: 'tunnel.connect', params: { host, port }, risk: 'medium' },
      method: 'CONNECT',
      host,
      path: '',
      now: deps.now(),
      url: `connect://${host}:${port}`,
      // A hold ends when the agent closes its side of the CONNECT.
      signal: () => {
        const gone = new AbortController();
        const socket = opts.request.socket;
        if (socket.destroyed) gone.abort();
        else socket.once('close', () => gone.abort());
        return gone.signal;
      },
    });
    if (!resolved.ok) return fail(resolved.problem);
    const base = { agent: agent.name, action: 'tunnel.connect' };
    let upstreamSocket: net.Socket;
    try {
      upstreamSocket = await deps.upstream.connectRaw(host, port);
    } catch (err) {
      const failure = describeUpstreamError(err);
      deps.records.metrics.upstreamErrors.inc({ kind: failure.kind });
      return fail({ code: failure.code, detail: failure.detail, ...base }, failure.detail);
    }
    let untrack = () => {};
    return {
      customConnectServer: rawTunnelConnectServer(
        upstreamSocket,
        (bytes) => {
          untrack();
          record.finish({ status: 200, bytesIn: bytes.fromAgent, bytesOut: bytes.toAgent });
        },
        (client) => {
          untrack = deps.active.add({
            kind: 'raw',
            agent: agent.name,
            connector: connector.name,
            connectorType: connector.type,
            who,
            host,
            port,
            cut: () => client.destroy(), // the row closes with its byte counts when the sockets close
          });
        },
      ),
    };
  };
}
