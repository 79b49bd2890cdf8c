// Holding requests for approval on the gateway (SPEC 7). A require_approval request is read whole
// (its digest covers agent, method, URL and body), the control plane opens or joins an approval for
// it (or answers at once: a grant, or an approved identical request that may pass once), and the
// request waits until a decision arrives on the stream, the hold times out (408, the approval stays
// open), the agent leaves, the kill switch or a configuration change ends it, or the gateway stops.
//
// Threat model: holding costs memory and sockets an agent controls, so holds are capped per agent
// (429 beyond), held bodies are bounded per request (413) and in total (429), and every exit path
// frees what the hold took. Nothing is ever let through on a failure: with the control plane
// unreachable a request needing approval is refused (503 approval_unavailable), never allowed.
import type { Logger } from 'pino';
import { holdSeconds } from '../../approvals/approval-rules.js';
import { summarizeParameters } from '../../approvals/parameter-summary.js';
import { requestDigest } from '../../approvals/request-digest.js';
import type { ApprovalUpdateMessage, LocalKillSwitchMessage } from '../../sync/approval-messages.js';
import type { HoldForApproval, HoldOutcome, HoldRequest } from '../pipeline/approval-hold.js';
import type { RuntimeConfig } from '../state/runtime-config.js';
import { type ApprovalLink, ApprovalLinkDown } from './approval-link.js';
import { HeldRequests, type Waiter } from './held-requests.js';
import type { HoldEnd, HoldMetrics } from './hold-metrics.js';
import { allow, type Deny, deny, killSwitchDeny, unavailable } from './hold-outcomes.js';

/** Held bodies together may take this much memory; beyond it new holds are refused (429). */
export const HELD_BODY_BUDGET_BYTES = 64 * 1024 * 1024;

export interface ApprovalHoldsDeps {
  link: ApprovalLink;
  /** The gateway's outbox (each step of a hold is an audit event). */
  events: { appendEvent(type: string, payload: unknown): void };
  metrics: HoldMetrics;
  logger: Logger;
  /** TAMEFLARE_APPROVAL_TIMEOUT: the hold when the rule names none. */
  holdSeconds: number;
  maxHoldsPerAgent: number;
  maxBodyBytes: number;
  heldBodyBudget?: number | undefined;
  /** The kill switch entries activated on this gateway itself, to report to the control plane. */
  localKillSwitch(): LocalKillSwitchMessage['entries'];
}

export class ApprovalHolds {
  readonly #deps: ApprovalHoldsDeps;
  readonly #perAgent = new Map<string, number>();
  readonly #waiting: HeldRequests;
  #heldBytes = 0;
  #closing = false;

  constructor(deps: ApprovalHoldsDeps) {
    this.#deps = deps;
    this.#waiting = new HeldRequests({
      use: (id) => deps.link.use(id),
      logger: deps.logger,
    });
  }

  readonly hold: HoldForApproval = async (req, signal) => {
    const started = performance.now();
    const outcome = await this.#hold(req, signal);
    this.#deps.metrics.ended(endOf(outcome), (performance.now() - started) / 1000);
    return outcome;
  };

  get size(): number {
    return this.#waiting.size;
  }

  /** A decision (or the list sent when the stream opens) from the control plane. */
  streamEvent(event: string, data: string): void {
    if (event !== 'approval' && event !== 'approvals') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.#deps.logger.warn({ event }, 'unreadable approval event on the configuration stream');
      return;
    }
    for (const update of Array.isArray(parsed) ? parsed : [parsed]) {
      if (isUpdate(update)) this.#waiting.decided(update);
    }
    // `approvals` opens every stream: the link is back, so say which kill switches were set here.
    if (event === 'approvals') void this.reportKillSwitch();
  }

  /** Tells the control plane the kill switch entries set on this gateway (best effort). */
  async reportKillSwitch(): Promise<void> {
    try {
      await this.#deps.link.reportKillSwitch(this.#deps.localKillSwitch());
    } catch (err) {
      this.#deps.logger.debug({ err: (err as Error).message }, 'could not report the local kill switch yet');
    }
  }

  /** After a configuration change: holds the kill switch now covers, or whose agent is gone, end. */
  recheck(config: RuntimeConfig): void {
    this.#waiting.endWhere((w) => {
      if (config.decisions.killed(w.agent, w.connector)) {
        return killSwitchDeny(
          `the kill switch was activated while this request waited for approval ${w.approvalId}`,
          w.approvalId,
        );
      }
      if (config.agentsByName.get(w.agent)?.status !== 'active') {
        return deny(
          'agent_suspended',
          `agent ${w.agent} was suspended or removed while its request waited for approval`,
          {
            approvalId: w.approvalId,
          },
        );
      }
      return undefined;
    });
  }

  /** Shutdown: every held request is answered now (its approval stays open for a retry). */
  close(): void {
    this.#closing = true;
    this.#waiting.endWhere((w) =>
      unavailable(
        `the gateway is shutting down; approval ${w.approvalId} stays open: once it is approved, send the identical request again`,
        w.approvalId,
      ),
    );
  }

  async #hold(req: HoldRequest, signal: AbortSignal): Promise<HoldOutcome> {
    const d = this.#deps;
    const agent = req.agent.name;
    if (this.#closing) return unavailable('the gateway is shutting down');
    const count = this.#perAgent.get(agent) ?? 0;
    if (count >= d.maxHoldsPerAgent) {
      return deny(
        'too_many_holds',
        `agent ${agent} already has ${count} requests waiting for approval (limit ${d.maxHoldsPerAgent})`,
        { headers: { 'Retry-After': '10' } },
      );
    }
    this.#perAgent.set(agent, count + 1);
    d.metrics.held.inc();
    let bodyBytes = 0;
    try {
      const read = await req.readBody(d.maxBodyBytes);
      if (!read.ok) {
        return read.reason === 'too_large'
          ? deny(
              'request_too_large',
              `a request held for approval is kept whole until decided (its digest covers the body), up to ${d.maxBodyBytes} bytes; this one is larger`,
              { close: true },
            )
          : deny('bad_request', 'the agent closed the connection while sending the body');
      }
      bodyBytes = read.body?.length ?? 0;
      const budget = d.heldBodyBudget ?? HELD_BODY_BUDGET_BYTES;
      if (this.#heldBytes + bodyBytes > budget) {
        bodyBytes = 0;
        return deny(
          'too_many_holds',
          `the bodies of held requests would exceed this gateway's budget of ${budget} bytes`,
          {
            headers: { 'Retry-After': '10' },
          },
        );
      }
      this.#heldBytes += bodyBytes;
      const digest = requestDigest({ agent, method: req.method, url: req.url, body: read.body });
      let answer: Awaited<ReturnType<ApprovalLink['open']>>;
      try {
        answer = await d.link.open({
          agent,
          action: req.match.action,
          connector: req.connector.name,
          connector_type: req.connector.type,
          method: req.method,
          host: req.host,
          path: req.loggablePath,
          params: summarizeParameters(req.match.params),
          reasons: req.decision.reasons.slice(0, 20),
          approver_roles: req.decision.approval?.approverRoles ?? [],
          digest,
          request_id: req.requestId,
        });
      } catch (err) {
        if (!(err instanceof ApprovalLinkDown)) throw err;
        return unavailable(
          `${err.message}; the control plane holds the approvals, so this request was not sent`,
        );
      }
      if (answer.result === 'granted') {
        return allow(
          read.body,
          `allowed by grant ${answer.grant_id} (from approval ${answer.approval_id})`,
          answer.approval_id,
          'granted',
        );
      }
      if (answer.result === 'approved') {
        return allow(
          read.body,
          `approved earlier (${answer.approval_id}): this identical retry passes once`,
          answer.approval_id,
          'retry',
        );
      }
      const seconds = holdSeconds(req.decision.approval?.timeoutSeconds, d.holdSeconds);
      return await this.#waiting.wait(
        {
          approvalId: answer.approval_id,
          agent,
          connector: { name: req.connector.name, type: req.connector.type },
          body: read.body,
        },
        signal,
        seconds * 1000,
        (w: Waiter) => this.#timedOut(w, req, seconds, answer.result === 'pending' ? answer.expires_at : ''),
        (w: Waiter) => this.#abandoned(w, req),
      );
    } finally {
      const left = (this.#perAgent.get(agent) ?? 1) - 1;
      if (left > 0) this.#perAgent.set(agent, left);
      else this.#perAgent.delete(agent);
      this.#heldBytes -= bodyBytes;
      d.metrics.held.dec();
    }
  }

  #timedOut(w: Waiter, req: HoldRequest, seconds: number, expiresAt: string): Deny {
    this.#deps.events.appendEvent('approval.hold_timed_out', {
      approval_id: w.approvalId,
      request_id: req.requestId,
      agent: w.agent,
      action: req.match.action,
      held_seconds: seconds,
    });
    return {
      ...deny(
        'approval_timeout',
        `approval ${w.approvalId} was not decided within ${seconds} s; it stays open until ${expiresAt}: once it is approved, send the identical request again and it passes once`,
        { approvalId: w.approvalId },
      ),
      event: 'action.approval_timeout',
    };
  }

  #abandoned(w: Waiter, req: HoldRequest): Deny {
    this.#deps.events.appendEvent('approval.hold_abandoned', {
      approval_id: w.approvalId,
      request_id: req.requestId,
      agent: w.agent,
      action: req.match.action,
    });
    return {
      ...deny('bad_request', 'the agent disconnected while its request waited for approval', {
        approvalId: w.approvalId,
      }),
      event: 'action.approval_abandoned',
    };
  }
}

function endOf(o: HoldOutcome): HoldEnd {
  if (o.verdict === 'allow') return o.via;
  switch (o.code) {
    case 'approval_timeout':
      return 'timeout';
    case 'approval_denied':
      return 'denied';
    case 'kill_switch_active':
      return 'kill_switch';
    case 'approval_unavailable':
      return 'unavailable';
    case 'approval_used':
      return 'used';
    default:
      return o.event === 'action.approval_abandoned' ? 'abandoned' : 'refused';
  }
}

function isUpdate(v: unknown): v is ApprovalUpdateMessage {
  const u = v as Partial<ApprovalUpdateMessage> | null;
  return typeof u === 'object' && u !== null && typeof u.id === 'string' && typeof u.status === 'string';
}
