// TameFlare's client for SDK mode (SPEC 5.4), exported as `tameflare/sdk`. An agent asks the control
// plane before acting, with its own agent key:
//
//   const tf = createClient({ url: 'http://127.0.0.1:3000', agentKey: process.env.TAMEFLARE_AGENT_KEY! });
//   let d = await tf.requestAction({ type: 'github.pr.merge', parameters: { owner, repo, number } });
//   if (d.status === 'pending_approval') d = await tf.waitForApproval(d);
//   if (d.status === 'allowed' || d.status === 'approved') await tf.execute(d, () => mergeIt());
//
// `execute` spends the decision token (once) before running what you give it; to act through the
// gateway instead, send the token with the request (`decisionTokenHeaders(d)`) and the gateway spends it.
// Depends on nothing but the platform's fetch; the wire types are the server's own.
import type { ActionDecision, ActionRequestBody, ExecuteAnswer } from '../wire/actions.js';

export type { ActionDecision, ActionRequestBody, ActionStatus, ExecuteAnswer } from '../wire/actions.js';

export interface ClientOptions {
  /** The control plane, e.g. http://127.0.0.1:3000. */
  url: string;
  /** The agent's key: `tf_agent_…` or a session key `tf_sess_…`. */
  agentKey: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Give up after this long (default 10 minutes); the request itself stays pending. */
  timeoutMs?: number;
  /** Between polls (default 1 s). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** An answer other than success: the API's problem `code` and `detail`, or a network failure. */
export class TameFlareError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'TameFlareError';
  }
}

const FINAL: ReadonlySet<string> = new Set([
  'allowed',
  'approved',
  'denied',
  'rejected',
  'expired',
  'executed',
]);

/** The header that lets a request through the gateway without a hold (SPEC 5.4). */
export function decisionTokenHeaders(decision: ActionDecision): Record<string, string> {
  if (!decision.decision_token)
    throw new TameFlareError(
      `action request ${decision.action_request_id} has no decision token (${decision.status})`,
      'no_decision_token',
      undefined,
    );
  return { 'X-TameFlare-Decision-Token': decision.decision_token };
}

export interface TameFlareClient {
  /** Asks for a decision: allowed (with a decision token), denied (with the reason) or pending_approval. */
  requestAction(body: ActionRequestBody): Promise<ActionDecision>;
  /** Where a request stands now (a fresh decision token when it is allowed or approved). */
  getAction(actionRequestId: string): Promise<ActionDecision>;
  /** Polls a pending request until it is decided (approved, rejected or expired) or `timeoutMs` passes. */
  waitForApproval(request: ActionDecision | string, opts?: WaitOptions): Promise<ActionDecision>;
  /**
   * Spends the decision token (it works once), then runs `run` and returns what it returns; without
   * `run`, answers the spent record. Throws when the action is not allowed or the token was spent.
   */
  execute(decision: ActionDecision): Promise<ExecuteAnswer>;
  execute<T>(decision: ActionDecision, run: () => T | Promise<T>): Promise<T>;
}

export function createClient(options: ClientOptions): TameFlareClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.agentKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new TameFlareError(
        `cannot reach the TameFlare control plane at ${base}: ${(err as Error).message}`,
        'unreachable',
        undefined,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const p = (json ?? {}) as { code?: string; detail?: string };
      throw new TameFlareError(
        p.detail ?? `HTTP ${res.status} from ${path}`,
        p.code ?? 'http_error',
        res.status,
      );
    }
    return json as T;
  }

  const getAction = (id: string) => call<ActionDecision>('GET', `/v1/actions/${encodeURIComponent(id)}`);

  async function execute<T>(
    decision: ActionDecision,
    run?: () => T | Promise<T>,
  ): Promise<T | ExecuteAnswer> {
    if (decision.status !== 'allowed' && decision.status !== 'approved')
      throw new TameFlareError(
        `action ${decision.action} is ${decision.status}: ${decision.reason}`,
        'not_allowed',
        undefined,
      );
    const token = decisionTokenHeaders(decision)['X-TameFlare-Decision-Token'];
    const spent = await call<ExecuteAnswer>(
      'POST',
      `/v1/actions/${encodeURIComponent(decision.action_request_id)}/execute`,
      {
        decision_token: token,
      },
    );
    return run ? run() : spent;
  }

  return {
    requestAction: (body) => call<ActionDecision>('POST', '/v1/actions', body),
    getAction,
    async waitForApproval(request, opts = {}) {
      const id = typeof request === 'string' ? request : request.action_request_id;
      const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
      const interval = opts.intervalMs ?? 1000;
      for (;;) {
        const current = await getAction(id);
        if (FINAL.has(current.status)) return current;
        if (Date.now() >= deadline)
          throw new TameFlareError(
            `action request ${id} is still ${current.status}`,
            'wait_timeout',
            undefined,
          );
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, interval);
          opts.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(new TameFlareError('waiting was aborted', 'aborted', undefined));
            },
            { once: true },
          );
        });
      }
    },
    execute: execute as TameFlareClient['execute'],
  };
}

/** One-call forms of the client's methods, for scripts that make one request. */
export const requestAction = (options: ClientOptions, body: ActionRequestBody) =>
  createClient(options).requestAction(body);
export const waitForApproval = (
  options: ClientOptions,
  request: ActionDecision | string,
  opts?: WaitOptions,
) => createClient(options).waitForApproval(request, opts);
export function execute(options: ClientOptions, decision: ActionDecision): Promise<ExecuteAnswer>;
export function execute<T>(
  options: ClientOptions,
  decision: ActionDecision,
  run: () => T | Promise<T>,
): Promise<T>;
export function execute<T>(options: ClientOptions, decision: ActionDecision, run?: () => T | Promise<T>) {
  const client = createClient(options);
  return run ? client.execute(decision, run) : client.execute(decision);
}
