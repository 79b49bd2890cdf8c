// Steps 5-6 of the pipeline for a request mapped to an action, whether it came as a plain request, a
// request inside a tunnel, a WebSocket handshake or a raw tunnel's CONNECT: decide, take a rate-limit
// token, turn both into an outcome (src/decide/outcome.ts), record it, and hold for approval when the
// outcome says so. The answer is either "go on" or the problem to refuse with.
import type { ActionMatch } from '../../connectors/types.js';
import { outcome, takesRateLimitToken } from '../../decide/outcome.js';
import type { Decision } from '../../decide/types.js';
import type { SnapshotAgent, SnapshotConnector } from '../../sync/snapshot.js';
import type { ProblemInput } from '../api/problem.js';
import type { CompiledDecisions, RateLimits } from '../state/decision-engine.js';
import { type HeldBodyRead, type HoldForApproval, noBody } from './approval-hold.js';
import { approvedByDecisionToken, type DecisionTokenCheck } from './decision-token-step.js';
import type { RecordDeps, RequestRecord } from './request-record.js';

export interface OutcomeDeps {
  records: RecordDeps;
  rateLimits: RateLimits;
  hold: HoldForApproval;
  /** SDK mode: checks a decision token presented with a request that would be held. */
  decisionTokens?: DecisionTokenCheck | undefined;
}

export interface MappedRequest {
  requestId: string;
  record: RequestRecord;
  agent: SnapshotAgent;
  connector: SnapshotConnector;
  match: ActionMatch;
  method: string;
  host: string;
  /** The path without its query. */
  path: string;
  now: Date;
  /** The full URL with query values (a held request's digest covers it). */
  url: string;
  /**
   * Reads the whole body, bounded (a held request's digest covers it); none when absent. Called as
   * a method (`request.readBody(...)`).
   */
  readBody?: ((limit: number) => Promise<HeldBodyRead>) | undefined;
  /** A signal that aborts when the agent goes away (ends a hold); made only when a hold needs it. */
  signal(): AbortSignal;
  /** The X-TameFlare-Decision-Token header, when the agent sent one. */
  decisionToken?: string | undefined;
}

/** `body`: read while holding, to be forwarded instead of what is left on the wire. */
export type Resolution =
  | { ok: true; body?: Buffer | undefined }
  | { ok: false; problem: ProblemInput; close?: boolean | undefined };

/**
 * Synchronous when nothing has to wait (no hold, batched durability): most requests go on without a
 * promise or a turn of the microtask queue.
 */
export function resolveOutcome(
  deps: OutcomeDeps,
  decisions: CompiledDecisions,
  request: MappedRequest,
): Resolution | Promise<Resolution> {
  const { requestId, record, agent, connector, match, method, host, path } = request;
  record.entry.action = match.action;
  record.params = match.params;
  const decision = decisions.decide({
    // The snapshot's own objects: decide reads the agent's name, mode and labels and the connector's
    // name and type, and a copy of each for every request bought nothing.
    agent,
    connector,
    action: match.action,
    params: match.params,
    risk: match.risk,
    method,
    host,
    path,
    now: request.now,
  });
  const rateLimit = takesRateLimitToken(decision)
    ? deps.rateLimits.check(agent.name, connector.name, match.action)
    : undefined;
  const next = outcome({ decision, mode: agent.mode, rateLimit });
  if (next.rateLimited) deps.records.metrics.rateLimited.inc();
  record.decided(next);

  if (next.kind === 'refuse') {
    return {
      ok: false,
      problem: {
        requestId,
        agent: agent.name,
        action: match.action,
        code: next.code,
        detail: next.detail,
        headers: next.headers,
      },
    };
  }
  if (next.kind === 'hold') return holdForApproval(deps, request, decision);
  // Strict traffic-log durability: the arrival row is committed before any upstream is dialled.
  const committed = record.committed();
  if (committed === true) return GO_ON;
  return committed.then((ok) => {
    if (ok) return GO_ON;
    const detail =
      'the traffic log cannot be written (gateway.db is locked or failing); strict durability refuses to forward an unrecorded request';
    record.refused('traffic_log_unavailable', detail);
    return { ok: false, problem: { ...problemBase(request), code: 'traffic_log_unavailable', detail } };
  });
}

// Never mutated by a caller: it only reads `ok` and `body`.
const GO_ON: Resolution = Object.freeze({ ok: true });

async function holdForApproval(
  deps: OutcomeDeps,
  request: MappedRequest,
  decision: Decision,
): Promise<Resolution> {
  const { requestId, record, agent, connector, match, method, host, path } = request;
  if (
    request.decisionToken &&
    deps.decisionTokens &&
    (await approvedByDecisionToken(deps.decisionTokens, request.decisionToken, request))
  )
    return { ok: true };
  const held = await deps.hold(
    {
      requestId,
      agent,
      connector,
      match,
      decision,
      method,
      host,
      path,
      loggablePath: record.entry.path,
      url: request.url,
      readBody: request.readBody ? (limit) => request.readBody!(limit) : noBody,
    },
    request.signal(),
  );
  // The row and the audit event say how the hold ended, not only that it began.
  record.eventType = held.event;
  if (held.verdict === 'deny') {
    record.code = held.code;
    record.entry.reason = `${held.code}: ${held.detail}`;
    return {
      ok: false,
      close: held.close,
      problem: {
        ...problemBase(request),
        code: held.code,
        detail: held.detail,
        approvalId: held.approvalId,
        headers: held.headers,
      },
    };
  }
  record.entry.reason = held.reason;
  return { ok: true, body: held.body };
}

/** What every refusal after the decision names (built only when refusing). */
function problemBase(r: MappedRequest): { requestId: string; agent: string; action: string } {
  return { requestId: r.requestId, agent: r.agent.name, action: r.match.action };
}
