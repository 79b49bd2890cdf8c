// Steps 1-6 of the pipeline (SPEC 4.3), shared by plain requests, requests inside tunnels and
// WebSocket handshakes: identify, record the row, find the connector, map the request to an action
// (reading a bounded body only when the connector needs it), decide, rate-limit, record the decision,
// and hold for approval. The result is either an admitted request or a problem to answer with.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { normaliseHost } from '../../connectors/connector-index.js';
import { getConnectorType } from '../../connectors/registry.js';
import type { ActionMatch, ConnectorRequest, ConnectorType } from '../../connectors/types.js';
import type { Decision } from '../../decide/types.js';
import type { ErrorCode } from '../../errors/codes.js';
import type { SnapshotAgent, SnapshotConnector } from '../../sync/snapshot.js';
import type { ProblemInput } from '../api/problem.js';
import type { TunnelContext } from '../listen/interception.js';
import type { RateLimits } from '../state/decision-engine.js';
import type { RuntimeConfig } from '../state/runtime-config.js';
import type { HoldForApproval } from './approval-hold.js';
import { identify, type PresentedIdentity, presentedNothing } from './identity.js';
import { readBoundedBody } from './request-body.js';
import { loggablePath, type RecordDeps, RequestRecord } from './request-record.js';

export interface AdmissionDeps {
  config(): RuntimeConfig;
  records: RecordDeps;
  rateLimits: RateLimits;
  hold: HoldForApproval;
  maxBodyBytes: number;
  logger: Logger;
  now(): Date;
}

export interface AdmissionInput {
  requestId: string;
  req: IncomingMessage;
  secure: boolean;
  host: string; // normalised
  port: number;
  /** Origin-form path and query as received. */
  target: string;
  who: PresentedIdentity;
  tunnel: TunnelContext | undefined;
  /** A WebSocket handshake: never read a body. */
  upgrade: boolean;
  /** A signal that aborts when the agent goes away (ends a hold); made only when a hold needs it. */
  signal(): AbortSignal;
}

export interface Admitted {
  ok: true;
  record: RequestRecord;
  agent: SnapshotAgent;
  connector: SnapshotConnector;
  type: ConnectorType;
  match: ActionMatch;
  /** The body read for mapping, to be re-sent upstream byte for byte. */
  body: Buffer | undefined;
}

export interface Refused {
  ok: false;
  record: RequestRecord;
  problem: ProblemInput;
  /** Close the connection after answering (a body we did not read is still on the wire). */
  close?: boolean;
}

export async function admit(deps: AdmissionDeps, input: AdmissionInput): Promise<Admitted | Refused> {
  const { req, requestId } = input;
  const method = (req.method ?? 'GET').toUpperCase();
  const cfg = deps.config();
  const now = deps.now();
  const queryAt = input.target.indexOf('?');
  const path = queryAt < 0 ? input.target : input.target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? '' : input.target.slice(queryAt + 1));

  // 1. identify
  const id = identify(cfg, input.who, now);
  // 2. record (decision NULL)
  const record = new RequestRecord(deps.records, {
    requestId,
    method,
    host: input.host,
    path: loggablePath(path, query),
    agent: id.ok ? id.agent.name : (id.agent ?? null),
  });
  if (!id.ok && id.code === 'agent_unknown' && presentedNothing(input.who)) record.silence();
  record.open();
  const refuse = (
    code: ErrorCode,
    detail: string,
    extra: Partial<ProblemInput> = {},
    close = false,
  ): Refused => {
    record.refused(code, detail);
    return { ok: false, record, problem: { code, detail, requestId, ...extra }, close };
  };
  if (!id.ok) return refuse(id.code, id.detail, { agent: id.agent });
  const agent = id.agent;

  if (input.tunnel && !hostHeaderMatches(req.headers.host, input.tunnel)) {
    return refuse(
      'tls_host_mismatch',
      `the Host header does not name the tunnel's host ${input.tunnel.host}`,
      {
        agent: agent.name,
      },
    );
  }

  // 3. connector lookup
  const connector = cfg.connectors.lookup(input.host, input.port);
  if (!connector) {
    return refuse('connector_not_found', `no connector covers ${input.host}:${input.port}`, {
      agent: agent.name,
    });
  }
  record.entry.connector = connector.name;
  const type = getConnectorType(connector.type);
  if (!type) {
    return refuse(
      'connector_not_found',
      `connector ${connector.name} has type ${connector.type}, unknown here`,
      {
        agent: agent.name,
      },
    );
  }

  // 4. map, with a bounded body when the action depends on it
  const creq: ConnectorRequest = {
    method,
    host: input.host,
    port: input.port,
    path,
    query,
    headers: req.headers,
  };
  let body: Buffer | undefined;
  if (!input.upgrade && type.wantsBody(creq, connector.options)) {
    const limit = Math.min(type.maxBodyBytes, deps.maxBodyBytes);
    const prefixSuffices = type.bodyPrefixSuffices?.(creq, connector.options) ?? false;
    const read = await readBoundedBody(req, limit, { prefixSuffices });
    if (!read.ok) {
      if (read.reason === 'too_large') {
        return refuse(
          'request_too_large',
          `${connector.name} needs this request's body to decide, and it is larger than ${limit} bytes`,
          { agent: agent.name },
          true,
        );
      }
      return refuse('bad_request', 'the agent closed the connection while sending the body', {
        agent: agent.name,
      });
    }
    body = read.body;
    creq.body = read.truncated ? body.subarray(0, limit) : body;
    creq.bodyTruncated = read.truncated;
  }
  let match: ActionMatch;
  try {
    match = type.map(creq, connector.options);
  } catch (err) {
    deps.logger.error({ err, connector: connector.name, requestId }, 'connector failed to map a request');
    return refuse('bad_request', `connector ${connector.name} could not interpret this request`, {
      agent: agent.name,
    });
  }
  record.entry.action = match.action;
  record.params = match.params;

  // 5. decide, then rate limits
  const decision: Decision = cfg.decisions.decide({
    agent: { name: agent.name, mode: agent.mode, labels: agent.labels },
    connector: { name: connector.name, type: connector.type },
    action: match.action,
    params: match.params,
    risk: match.risk,
    method,
    host: input.host,
    path,
    now,
  });
  const monitor = agent.mode === 'monitor';
  const problemBase = { agent: agent.name, action: match.action };
  // The kill switch is never shadowed by monitor mode: it exists to stop traffic.
  if (decision.code === 'kill_switch_active') {
    record.decided({ ...decision, verdict: 'deny' }, false);
    return {
      ok: false,
      record,
      problem: { code: 'kill_switch_active', detail: words(decision), requestId, ...problemBase },
    };
  }
  if (decision.verdict === 'allow') {
    const limited = deps.rateLimits.check(agent.name, connector.name, match.action);
    if (!limited.ok) {
      const reason = `rate limit ${limited.rule} exceeded; retry in ${limited.retryAfterSeconds} s`;
      deps.records.metrics.rateLimited.inc();
      record.decided(decision, monitor, { code: 'rate_limited', reason });
      if (!monitor) {
        return {
          ok: false,
          record,
          problem: {
            code: 'rate_limited',
            detail: reason,
            requestId,
            ...problemBase,
            headers: { 'retry-after': String(limited.retryAfterSeconds) },
          },
        };
      }
      return { ok: true, record, agent, connector, type, match, body };
    }
  }
  // 6. record the decision
  record.decided(decision, monitor);
  if (decision.verdict === 'deny') {
    const code: ErrorCode = decision.code === 'policy_denied' ? 'policy_denied' : 'permission_denied';
    return { ok: false, record, problem: { code, detail: words(decision), requestId, ...problemBase } };
  }
  if (decision.verdict === 'require_approval') {
    const outcome = await deps.hold(
      { requestId, agent, connector, match, decision, method, host: input.host, path },
      input.signal(),
    );
    if (outcome.verdict === 'deny') {
      return {
        ok: false,
        record,
        problem: {
          code: outcome.code,
          detail: outcome.detail,
          requestId,
          ...problemBase,
          approvalId: outcome.approvalId,
        },
      };
    }
  }
  return { ok: true, record, agent, connector, type, match, body };
}

function words(decision: Decision): string {
  return decision.reasons.join('; ') || decision.code.replaceAll('_', ' ');
}

/** Inside a tunnel, the Host header must name the CONNECT target (a missing one is taken as it). */
function hostHeaderMatches(header: string | undefined, tunnel: TunnelContext): boolean {
  if (!header) return true;
  // The common spellings first (no pattern matching on the hot path).
  const defaultPort = tunnel.secure ? 443 : 80;
  if (header === tunnel.host) return tunnel.port === defaultPort;
  if (
    header.length === tunnel.host.length + 1 + String(tunnel.port).length &&
    header === `${tunnel.host}:${tunnel.port}`
  ) {
    return true;
  }
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim());
  if (!m) return false;
  const port = m[2] ? Number(m[2]) : defaultPort;
  return normaliseHost(m[1]!) === tunnel.host && port === tunnel.port;
}
