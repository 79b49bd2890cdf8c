// The requests waiting for a decision, by approval. A decision from the stream releases them: approved
// ones ask the control plane first (an approval lets one request through, a grant any number), denied
// ones get 403. Each waiter ends exactly once, whichever comes first: decision, timeout, the agent
// leaving, or the gateway ending it (kill switch, configuration change, shutdown). Decisions that
// arrive before their waiter registers (a fast click, a stream re-sent on reconnect) are remembered
// for a while so the waiter sees them at once.
import type { Logger } from 'pino';
import type { ApprovalUpdateMessage, UseAnswerMessage } from '../../sync/approval-messages.js';
import type { HoldOutcome } from '../pipeline/approval-hold.js';
import { allow, type Deny, deny, killSwitchDeny, unavailable } from './hold-outcomes.js';

export interface Waiter {
  approvalId: string;
  agent: string;
  connector: { name: string; type: string };
  body: Buffer | undefined;
}

interface Entry extends Waiter {
  settle(outcome: HoldOutcome): void;
  /** Asking the control plane to release it: a timeout now would waste the approval. */
  releasing: boolean;
}

const RECENT_MAX = 2000;
const RECENT_MS = 10 * 60_000;

export class HeldRequests {
  readonly #deps: { use(id: string): Promise<UseAnswerMessage>; logger: Logger };
  readonly #byApproval = new Map<string, Set<Entry>>();
  readonly #recent = new Map<string, { update: ApprovalUpdateMessage; at: number }>();
  #size = 0;

  constructor(deps: { use(id: string): Promise<UseAnswerMessage>; logger: Logger }) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#size;
  }

  wait(
    w: Waiter,
    signal: AbortSignal,
    timeoutMs: number,
    onTimeout: (w: Waiter) => Deny,
    onAbort: (w: Waiter) => Deny,
  ): Promise<HoldOutcome> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const abort = () => entry.settle(onAbort(w));
      const entry: Entry = {
        ...w,
        releasing: false,
        settle: (outcome) => {
          const set = this.#byApproval.get(w.approvalId);
          if (!set?.delete(entry)) return; // ended already
          if (set.size === 0) this.#byApproval.delete(w.approvalId);
          this.#size--;
          clearTimeout(timer);
          signal.removeEventListener('abort', abort);
          resolve(outcome);
        },
      };
      let set = this.#byApproval.get(w.approvalId);
      if (!set) {
        set = new Set();
        this.#byApproval.set(w.approvalId, set);
      }
      set.add(entry);
      this.#size++;
      timer = setTimeout(() => {
        if (!entry.releasing) entry.settle(onTimeout(w));
      }, timeoutMs);
      signal.addEventListener('abort', abort, { once: true });
      if (signal.aborted) abort();
      const seen = this.#recent.get(w.approvalId);
      if (seen && seen.update.status !== 'pending') void this.#release(seen.update, [entry]);
    });
  }

  decided(update: ApprovalUpdateMessage): void {
    if (update.status === 'pending') return;
    this.#remember(update);
    const set = this.#byApproval.get(update.id);
    if (set) void this.#release(update, [...set]);
  }

  /** Ends every waiter for which `reason` returns an answer. */
  endWhere(reason: (w: Waiter) => Deny | undefined): void {
    for (const set of [...this.#byApproval.values()]) {
      for (const entry of [...set]) {
        const answer = reason(entry);
        if (answer) entry.settle(answer);
      }
    }
  }

  async #release(update: ApprovalUpdateMessage, entries: Entry[]): Promise<void> {
    const by = update.decided_by ? ` by ${update.decided_by}` : '';
    const note = update.note ? `: ${update.note}` : '';
    if (update.status !== 'approved') {
      for (const e of entries) {
        if (update.kill_switch) {
          e.settle(killSwitchDeny(`approval ${update.id} was denied${by}${note}`, update.id));
        } else {
          const answer = deny('approval_denied', `approval ${update.id} was ${update.status}${by}${note}`, {
            approvalId: update.id,
          });
          e.settle({ ...answer, event: 'action.approval_denied' });
        }
      }
      return;
    }
    // One at a time, oldest first: with a plain approval only the first is let through.
    for (const e of entries) {
      if (e.releasing) continue;
      e.releasing = true;
      let answer: UseAnswerMessage;
      try {
        answer = await this.#deps.use(update.id);
      } catch (err) {
        e.settle(
          unavailable(
            `approval ${update.id} was approved, but the control plane could not be asked to release it (${(err as Error).message})`,
            update.id,
          ),
        );
        continue;
      }
      if (answer.ok) {
        const via = answer.via === 'grant' ? ' (grant)' : '';
        e.settle(allow(e.body, `approved${by}${via}${note} (${update.id})`, update.id, 'approved'));
      } else {
        e.settle(
          deny(
            'approval_used',
            `approval ${update.id} already let an identical request through (${answer.status}); ask for approval again`,
            { approvalId: update.id },
          ),
        );
      }
    }
  }

  #remember(update: ApprovalUpdateMessage): void {
    const now = Date.now();
    this.#recent.delete(update.id);
    this.#recent.set(update.id, { update, at: now });
    for (const [id, r] of this.#recent) {
      if (this.#recent.size <= RECENT_MAX && now - r.at < RECENT_MS) break;
      this.#recent.delete(id);
    }
  }
}
