// Steps 1-6 of the pipeline (SPEC 4.3), shared by plain requests, requests inside tunnels and
// WebSocket handshakes: identify, record the row, find the connector, map the request to an action
// (reading a bounded body only when the connector needs it), decide, rate-limit, record the decision,
// and hold for approval. The result is either an admitted request or a problem to answer with.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { digestUrl } from '../../approvals/request-digest.js';
import { getConnectorType } from '../../connectors/registry.js';
import type { ActionMatch, ConnectorRequest, ConnectorType } from '../../connectors/types.js';
import type { ErrorCode } from '../../errors/codes.js';
import type { SnapshotAgent, SnapshotConnector } from '../../sync/snapshot.js';
import { DOCTOR_DENIED_ACTION, DOCTOR_DENIED_DETAIL } from '../../wire/doctor-host.js';
import { gitDenialAnswer } from '../api/git-denial.js';
import type { DenialAnswer, ProblemInput } from '../api/problem.js';
import type { TunnelContext } from '../listen/interception.js';
import type { RuntimeConfig } from '../state/runtime-config.js';
import { type HeldBodyRead, readHeldBody } from './approval-hold.js';
import { DECISION_TOKEN_HEADER } from './decision-token-step.js';
import { doctorOkAnswer, isDoctorDenial, isDoctorHost } from './doctor-answer.js';
import { checkHostIntegrity, type TargetAuthority } from './host-integrity.js';
import { identify, type PresentedIdentity, presentedNothing } from './identity.js';
import { foreignMethodOverride, formMayOverride, METHOD_OVERRIDE_PARAM } from './method-override.js';
import { readBoundedBody } from './request-body.js';
import { loggablePath, RequestRecord } from './request-record.js';
import { type MappedRequest, type OutcomeDeps, type Resolution, resolveOutcome } from './resolve-outcome.js';

export interface AdmissionDeps extends OutcomeDeps {
  config(): RuntimeConfig;
  /** Whether the vault holds a credential for this connector (the forwarder would inject it). */
  credentialStored(connector: string): boolean;
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
  /** Inside a tunnel, the host and port an absolute-form request target names. */
  targetAuthority?: TargetAuthority | undefined;
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

/** Answered by the gateway itself, without a connector (the doctor's test host). */
export interface AnsweredHere {
  ok: 'here';
  record: RequestRecord;
  answer: DenialAnswer;
}

export interface Refused {
  ok: false;
  record: RequestRecord;
  problem: ProblemInput;
  /** Close the connection after answering (a body we did not read is still on the wire). */
  close?: boolean;
}

export type Admission = Admitted | Refused | AnsweredHere;

/**
 * Steps 1-6. Synchronous for most requests (a promise only when it reads a body or waits: a hold,
 * strict durability); a throw is a failure of the gateway's own, like a rejection.
 */
export function admit(deps: AdmissionDeps, input: AdmissionInput): Admission | Promise<Admission> {
  const { req, requestId } = input;
  const method = (req.method ?? 'GET').toUpperCase();
  const cfg = deps.config();
  const now = deps.now();
  const queryAt = input.target.indexOf('?');
  const path = queryAt < 0 ? input.target : input.target.slice(0, queryAt);
  // What the request is, for the connector's mapping and for a refusal in the client's own protocol
  // (git, MCP); filled in as the body becomes known.
  const creq = new AdmittedRequest(
    method,
    input.host,
    input.port,
    path,
    queryAt < 0 ? '' : input.target.slice(queryAt + 1),
    req.headers,
  );

  // 1. identify
  const id = identify(cfg, input.who, now);
  // 2. record (decision NULL)
  const record = new RequestRecord(deps.records, {
    requestId,
    method,
    host: input.host,
    path: queryAt < 0 ? path : loggablePath(path, creq.query),
    agent: id.ok ? id.agent.name : (id.agent ?? null),
    at: now,
  });
  if (!id.ok && id.code === 'agent_unknown' && presentedNothing(input.who)) record.silence();
  record.open();
  let type: ConnectorType | undefined;
  if (!id.ok) return refusal(record, creq, type, id.code, id.detail, { agent: id.agent });
  const agent = id.agent;

  const hostProblem = checkHostIntegrity(req, input.tunnel, input.targetAuthority);
  if (hostProblem)
    return refusal(record, creq, type, hostProblem.code, hostProblem.detail, { agent: agent.name });

  if (isDoctorHost(input.host)) {
    if (isDoctorDenial(path)) {
      record.entry.action = DOCTOR_DENIED_ACTION;
      return refusal(record, creq, type, 'permission_denied', DOCTOR_DENIED_DETAIL, {
        agent: agent.name,
        action: DOCTOR_DENIED_ACTION,
      });
    }
    record.entry.action = 'doctor.probe';
    record.entry.decision = 'allow';
    record.entry.reason = 'answered by the gateway for tameflare doctor';
    record.eventType = 'action.allowed';
    return { ok: 'here', record, answer: doctorOkAnswer(path, creq.query, agent.name, input.secure) };
  }

  // 3. connector lookup
  const connector = cfg.connectors.lookup(input.host, input.port);
  if (!connector) {
    return refusal(
      record,
      creq,
      type,
      'connector_not_found',
      `no connector covers ${input.host}:${input.port}`,
      {
        agent: agent.name,
      },
    );
  }
  record.entry.connector = connector.name;
  if (!input.secure && injectsOverCleartext(connector, deps)) {
    return refusal(record, creq, type, 'insecure_transport', cleartextDetail(connector.name, input), {
      agent: agent.name,
    });
  }
  type = getConnectorType(connector.type);
  if (!type) {
    return refusal(
      record,
      creq,
      type,
      'connector_not_found',
      `connector ${connector.name} has type ${connector.type}, unknown here`,
      {
        agent: agent.name,
      },
    );
  }

  // 4. map, with a bounded body when the action depends on it
  const contentType = req.headers['content-type'];
  const connectorWantsBody = !input.upgrade && type.wantsBody(creq, connector.options);
  const formWantsBody = !input.upgrade && formMayOverride(method, contentType);
  if (!connectorWantsBody && !formWantsBody) {
    return mapAndDecide(
      deps,
      cfg,
      input,
      record,
      creq,
      agent,
      connector,
      type,
      now,
      undefined,
      input.upgrade,
    );
  }
  const limit = connectorWantsBody ? Math.min(type.maxBodyBytes, deps.maxBodyBytes) : deps.maxBodyBytes;
  const prefixSuffices = (connectorWantsBody && type.bodyPrefixSuffices?.(creq, connector.options)) || false;
  const known = type;
  return readBoundedBody(req, limit, { prefixSuffices }).then((read) => {
    if (!read.ok) {
      if (read.reason === 'too_large') {
        const why = connectorWantsBody
          ? `${connector.name} needs this request's body to decide`
          : `a form POST is read to check that it does not override its method (${METHOD_OVERRIDE_PARAM})`;
        return refusal(
          record,
          creq,
          known,
          'request_too_large',
          `${why}, and it is larger than ${limit} bytes (max_body_bytes)`,
          { agent: agent.name },
          true,
        );
      }
      return refusal(
        record,
        creq,
        known,
        'bad_request',
        'the agent closed the connection while sending the body',
        {
          agent: agent.name,
        },
      );
    }
    creq.body = read.truncated ? read.body.subarray(0, limit) : read.body;
    creq.bodyTruncated = read.truncated;
    return mapAndDecide(
      deps,
      cfg,
      input,
      record,
      creq,
      agent,
      connector,
      known,
      now,
      read.body,
      !read.truncated,
    );
  });
}

/**
 * Steps 4 (after the body, if one was read) to 6. Synchronous unless a hold or strict durability
 * makes it wait: a request that is simply allowed goes through admission without a promise or a
 * turn of the microtask queue.
 */
function mapAndDecide(
  deps: AdmissionDeps,
  cfg: RuntimeConfig,
  input: AdmissionInput,
  record: RequestRecord,
  creq: AdmittedRequest,
  agent: SnapshotAgent,
  connector: SnapshotConnector,
  type: ConnectorType,
  now: Date,
  body: Buffer | undefined,
  bodyComplete: boolean,
): Admission | Promise<Admission> {
  const method = creq.method;
  // foreignMethodOverride looks at a POST only (undefined for anything else): the query of other
  // methods is not parsed for it.
  const override =
    method === 'POST'
      ? foreignMethodOverride(method, creq.query, input.req.headers['content-type'], body)
      : undefined;
  if (override !== undefined) {
    return refusal(
      record,
      creq,
      type,
      'method_override_refused',
      `this ${method} carries ${METHOD_OVERRIDE_PARAM}=${JSON.stringify(override.slice(0, 32))}, which some ` +
        `frameworks run as another method than the one decided: send the real method instead`,
      { agent: agent.name },
    );
  }
  let match: ActionMatch;
  try {
    match = type.map(creq, connector.options);
  } catch (err) {
    deps.logger.error(
      { err, connector: connector.name, requestId: input.requestId },
      'connector failed to map a request',
    );
    return refusal(
      record,
      creq,
      type,
      'bad_request',
      `connector ${connector.name} could not interpret this request`,
      {
        agent: agent.name,
      },
    );
  }

  // 5-6. decide, rate-limit, record the decision, hold for approval
  const mapped = new MappedAdmission(
    input,
    record,
    agent,
    connector,
    match,
    method,
    creq.path,
    now,
    body,
    bodyComplete,
  );
  const resolved = resolveOutcome(deps, cfg.decisions, mapped);
  return resolved instanceof Promise
    ? resolved.then((r) => admitted(r, mapped, creq, type))
    : admitted(resolved, mapped, creq, type);
}

function admitted(
  resolved: Resolution,
  m: MappedAdmission,
  creq: AdmittedRequest,
  type: ConnectorType,
): Admission {
  if (!resolved.ok)
    return {
      ok: false,
      record: m.record,
      problem: { ...resolved.problem, answerAs: answerAs(creq, type) },
      close: resolved.close,
    };
  const { record, agent, connector, match } = m;
  return { ok: true, record, agent, connector, type, match, body: resolved.body ?? m.body };
}

/**
 * What steps 5-6 need of an admitted request, as one object whose URL (for a hold's digest), body
 * reader and abort signal are worked out only when a hold asks for them, instead of a URL string and
 * two closures built for every request.
 */
class MappedAdmission implements MappedRequest {
  readonly requestId: string;
  readonly host: string;
  readonly decisionToken: string | undefined;
  constructor(
    readonly input: AdmissionInput,
    readonly record: RequestRecord,
    readonly agent: SnapshotAgent,
    readonly connector: SnapshotConnector,
    readonly match: ActionMatch,
    readonly method: string,
    readonly path: string,
    readonly now: Date,
    readonly body: Buffer | undefined,
    readonly bodyComplete: boolean,
  ) {
    this.requestId = input.requestId;
    this.host = input.host;
    this.decisionToken = headerValue(input.req.headers[DECISION_TOKEN_HEADER]);
  }

  get url(): string {
    const { secure, host, port, target } = this.input;
    return digestUrl({ secure, host, port, path: target });
  }

  readBody(limit: number): Promise<HeldBodyRead> {
    return readHeldBody(this.input.req, this.body, this.bodyComplete, limit);
  }

  signal(): AbortSignal {
    return this.input.signal();
  }
}

/**
 * A refusal before the request is forwarded. Module functions rather than closures made in `admit`:
 * most requests are never refused, and a closure per request costs an allocation (and its context).
 */
function refusal(
  record: RequestRecord,
  creq: AdmittedRequest,
  type: ConnectorType | undefined,
  code: ErrorCode,
  detail: string,
  extra: Partial<ProblemInput> = {},
  close = false,
): Refused {
  record.refused(code, detail);
  const problem = { code, detail, requestId: record.requestId, answerAs: answerAs(creq, type), ...extra };
  return { ok: false, record, problem, close };
}

/** Answers a refusal in the client's own protocol (git, MCP) when it has one. */
function answerAs(creq: AdmittedRequest, type: ConnectorType | undefined): ProblemInput['answerAs'] {
  return (problem, reason) =>
    type?.denialAnswer?.(creq, problem, reason) ?? gitDenialAnswer(creq, problem, reason);
}

/** A ConnectorRequest whose query is parsed on first use: most connectors never read it. */
class AdmittedRequest implements ConnectorRequest {
  body?: Buffer | undefined;
  bodyTruncated?: boolean | undefined;
  #query: URLSearchParams | undefined;
  constructor(
    readonly method: string,
    readonly host: string,
    readonly port: number,
    readonly path: string,
    readonly rawQuery: string,
    readonly headers: Record<string, string | string[] | undefined>,
  ) {}

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.rawQuery);
    return this.#query;
  }
}

/**
 * A stored credential never travels in cleartext (anyone on the path would read it), unless the
 * connector was added with allow_cleartext (an internal host without TLS). Without a stored
 * credential nothing of the gateway's is sent: the agent's own header passes through as it chose.
 * Webhook signatures are not credentials (the key never leaves the gateway), so signing needs no TLS.
 */
function injectsOverCleartext(connector: SnapshotConnector, deps: AdmissionDeps): boolean {
  return (
    connector.auth !== 'none' && connector.allowCleartext !== true && deps.credentialStored(connector.name)
  );
}

function cleartextDetail(connector: string, input: AdmissionInput): string {
  const port = input.port === 80 || input.port === 443 ? '' : `:${input.port}`;
  return (
    `${connector} injects a stored credential, which this gateway sends only over TLS: ` +
    `use https://${input.host.includes(':') ? `[${input.host}]` : input.host}${port}/ ` +
    `(or allow cleartext on the connector, for an internal host without TLS)`
  );
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return typeof h === 'string' && h !== '' ? h : undefined;
}
