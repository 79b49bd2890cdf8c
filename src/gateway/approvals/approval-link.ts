// The gateway's calls to its control plane about approvals: open or join one, ask before releasing a
// held request, report the kill switch entries set here. The control plane owns local.db, so while
// it cannot be reached none of these can succeed and the caller fails closed (see approval-holds.ts).
//
// Threat model: the service token authenticates us to the control plane; answers are validated
// before use (a malformed one counts as unreachable: refused, never allowed).
import { Agent, request } from 'undici';
import type { Secret } from '../../config/secret.js';
import type {
  HoldAnswerMessage,
  HoldRequestMessage,
  LocalKillSwitchMessage,
  UseAnswerMessage,
} from '../../sync/approval-messages.js';

export class ApprovalLinkDown extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalLinkDown';
  }
}

export interface ApprovalLink {
  open(message: Omit<HoldRequestMessage, 'gateway'>): Promise<HoldAnswerMessage>;
  use(approvalId: string): Promise<UseAnswerMessage>;
  reportKillSwitch(entries: LocalKillSwitchMessage['entries']): Promise<void>;
  close(): Promise<void>;
}

export interface ApprovalLinkOptions {
  /** The control plane this gateway follows and the service token, once known; undefined: none. */
  target(): { url: string; token: Secret } | undefined;
  gatewayName: string;
  /** Connecting (an unreachable control plane is told apart quickly); default 5 s. */
  connectTimeoutMs?: number | undefined;
  /** An answer once connected (a busy control plane is not an absent one); default 30 s. */
  answerTimeoutMs?: number | undefined;
}

export function createApprovalLink(opts: ApprovalLinkOptions): ApprovalLink {
  // A small pool: a thousand held requests must not mean a thousand connections to the control plane.
  const agent = new Agent({
    connections: 16,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: opts.connectTimeoutMs ?? 5_000 },
  });
  const timeout = opts.answerTimeoutMs ?? 30_000;

  async function call<T>(method: 'POST' | 'PUT', path: string, body: unknown): Promise<T> {
    const target = opts.target();
    if (!target)
      throw new ApprovalLinkDown('this gateway follows no control plane (CONTROL_PLANE_URL is not set)');
    const url = `${target.url.replace(/\/+$/, '')}${path}`;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method,
        dispatcher: agent,
        headers: { authorization: `Bearer ${target.token.reveal()}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).name;
      throw new ApprovalLinkDown(`the control plane at ${target.url} cannot be reached (${code})`);
    }
    const text = await res.body.text().catch(() => '');
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new ApprovalLinkDown(`the control plane answered HTTP ${res.statusCode} for ${path}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApprovalLinkDown(`the control plane's answer for ${path} is not JSON`);
    }
  }

  return {
    async open(message) {
      const answer = await call<HoldAnswerMessage>('POST', '/internal/gateway/approvals', {
        gateway: opts.gatewayName,
        ...message,
      });
      const known =
        (answer.result === 'pending' && typeof answer.approval_id === 'string') ||
        (answer.result === 'approved' && typeof answer.approval_id === 'string') ||
        (answer.result === 'granted' && typeof answer.grant_id === 'string');
      if (!known) throw new ApprovalLinkDown('the control plane answered an unknown hold result');
      return answer;
    },
    async use(approvalId) {
      const answer = await call<UseAnswerMessage>(
        'POST',
        `/internal/gateway/approvals/${encodeURIComponent(approvalId)}/use`,
        {},
      );
      if (typeof answer.ok !== 'boolean')
        throw new ApprovalLinkDown('the control plane answered an unknown use result');
      return answer;
    },
    async reportKillSwitch(entries) {
      await call('PUT', '/internal/gateway/kill-switch', { gateway: opts.gatewayName, entries });
    },
    close: () => agent.close(),
  };
}
