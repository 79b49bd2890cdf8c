// The gateway's side of the decision contract: compile a snapshot into the decide module's state,
// and adapt the rate limiter's answer to what the pipeline needs. Both stay pure (src/decide).
import { type DecisionState, decide } from '../../decide/decide.js';
import { compilePolicies } from '../../decide/evaluate.js';
import { killSwitchCovers } from '../../decide/kill-switch.js';
import type { RateLimitRule } from '../../decide/policy-types.js';
import { RateLimiter } from '../../decide/rate-limit.js';
import type { Decision, DecisionRequest, KillSwitchEntry } from '../../decide/types.js';
import type { GatewayConfigSnapshot } from '../../sync/snapshot.js';

export interface CompiledDecisions {
  decide(req: DecisionRequest): Decision;
  /** Whether the kill switch covers this agent / connector (used to cut open tunnels and streams). */
  killed(agent: string, connector: { name: string; type: string } | null): boolean;
}

export function compileDecisions(
  snapshot: GatewayConfigSnapshot,
  killSwitch: readonly KillSwitchEntry[],
): CompiledDecisions {
  const state: DecisionState = {
    permissions: snapshot.permissions,
    policies: compilePolicies(snapshot.policies),
    killSwitch: [...killSwitch],
  };
  return {
    decide: (req) => decide(state, req),
    killed(agent, connector) {
      const req = {
        agent: { name: agent, mode: 'enforce' as const, labels: {} },
        connector: connector ?? { name: '', type: '' },
      };
      return killSwitch.some((entry) =>
        connector
          ? killSwitchCovers(entry.scope, req)
          : entry.scope === 'all' || entry.scope === `agent:${agent}`,
      );
    },
  };
}

export type RateLimitAnswer = { ok: true } | { ok: false; retryAfterSeconds: number; rule: string };

export interface RateLimits {
  check(agent: string, connector: string, action: string): RateLimitAnswer;
  /** `agents`: the agents that still exist, so buckets of removed agents are dropped. */
  update(rules: readonly RateLimitRule[], agents?: Iterable<string>): void;
}

/** Token buckets survive configuration updates: a new snapshot does not refill everyone's bucket. */
export function createRateLimits(rules: readonly RateLimitRule[], now?: () => number): RateLimits {
  const limiter = new RateLimiter([...rules], now);
  return {
    check(agent, connector, action) {
      const r = limiter.check(agent, connector, action);
      if (r.allowed) return { ok: true };
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterSeconds)), rule: r.rule.id };
    },
    update(next, agents) {
      limiter.update([...next], agents);
    },
  };
}
