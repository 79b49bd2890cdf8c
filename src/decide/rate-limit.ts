// Token buckets per (rule, agent). A rule for agent `*` gives every agent its own bucket. Time comes
// from an injected clock so tests are exact. Memory stays bounded: a bucket that has refilled to its
// burst carries no information and is swept, and update() drops buckets of rules and agents that are
// gone. Not a decision: the gateway asks after deciding allow (SPEC 4.3 step 5).
import { compileActionPattern } from './patterns.js';
import type { RateLimitRule } from './policy-types.js';

export type RateLimitCheck =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; rule: RateLimitRule };

interface Bucket {
  tokens: number;
  at: number; // ms of the last refill
}

interface LiveRule {
  rule: RateLimitRule;
  rate: number;
  burst: number;
  action: (segments: readonly string[]) => boolean;
  buckets: Map<string, Bucket>; // by agent
}

const SWEEP_EVERY = 1024;
const MAX_RETRY_SECONDS = 3600;

/** Why a rule cannot be used, or undefined when it is fine (for validators at the edges). */
export function rateLimitRuleProblem(rule: RateLimitRule): string | undefined {
  if (typeof rule.id !== 'string' || rule.id === '') return 'id is required';
  if (typeof rule.agent !== 'string' || rule.agent === '') return 'agent is required (a name or *)';
  if (!(typeof rule.rate === 'number' && Number.isFinite(rule.rate) && rule.rate > 0))
    return 'rate must be > 0';
  if (!(Number.isInteger(rule.burst) && rule.burst >= 1)) return 'burst must be an integer ≥ 1';
  return undefined;
}

export class RateLimiter {
  private rules: LiveRule[] = [];
  private checks = 0;

  constructor(
    rules: readonly RateLimitRule[],
    private readonly now: () => number = Date.now,
  ) {
    this.update(rules);
  }

  /** Takes one token from every rule that applies, or none when any of them is empty. */
  check(agent: string, connector: string, action: string): RateLimitCheck {
    if (++this.checks % SWEEP_EVERY === 0) this.sweep();
    const now = this.now();
    const segments = typeof action === 'string' ? action.split('.') : [];
    const applicable: Bucket[] = [];
    let blocked: { retry: number; rule: RateLimitRule } | undefined;
    for (const live of this.rules) {
      if (live.rule.agent !== '*' && live.rule.agent !== agent) continue;
      if (live.rule.connector !== undefined && live.rule.connector !== connector) continue;
      if (!live.action(segments)) continue;
      let bucket = live.buckets.get(agent);
      if (bucket === undefined) {
        bucket = { tokens: live.burst, at: now };
        live.buckets.set(agent, bucket);
      } else refill(bucket, live, now);
      // The epsilon absorbs float error in refills (0.1 s × 10/s must be one whole token).
      if (bucket.tokens >= 1 - 1e-9) applicable.push(bucket);
      else {
        const retry = (1 - bucket.tokens) / live.rate;
        if (blocked === undefined || retry > blocked.retry) blocked = { retry, rule: live.rule };
      }
    }
    if (blocked !== undefined) {
      const seconds = Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(blocked.retry)));
      return { allowed: false, retryAfterSeconds: seconds, rule: blocked.rule };
    }
    for (const bucket of applicable) bucket.tokens -= 1;
    return { allowed: true };
  }

  /**
   * Replaces the rules. Buckets survive where the rule id does (clamped to a new burst); buckets of
   * removed rules go, and so do those of agents a rule no longer covers or that are not in `agents`
   * when that list is given.
   */
  update(rules: readonly RateLimitRule[], agents?: Iterable<string>): void {
    const known = agents === undefined ? undefined : new Set(agents);
    const old = new Map(this.rules.map((r) => [r.rule.id, r]));
    this.rules = [];
    for (const rule of Array.isArray(rules) ? rules : []) {
      if (rateLimitRuleProblem(rule) !== undefined) continue;
      const buckets = old.get(rule.id)?.buckets ?? new Map<string, Bucket>();
      for (const [agent, bucket] of buckets) {
        const covered = rule.agent === '*' || rule.agent === agent;
        if (!covered || (known !== undefined && !known.has(agent))) buckets.delete(agent);
        else bucket.tokens = Math.min(bucket.tokens, rule.burst);
      }
      this.rules.push({
        rule,
        rate: rule.rate,
        burst: rule.burst,
        action: rule.action === undefined ? () => true : compileActionPattern(rule.action),
        buckets,
      });
    }
  }

  /** Drops buckets that are full again: they behave exactly like a fresh one. */
  sweep(): void {
    const now = this.now();
    for (const live of this.rules) {
      for (const [agent, bucket] of live.buckets) {
        refill(bucket, live, now);
        if (bucket.tokens >= live.burst) live.buckets.delete(agent);
      }
    }
  }

  get bucketCount(): number {
    let n = 0;
    for (const live of this.rules) n += live.buckets.size;
    return n;
  }
}

function refill(bucket: Bucket, live: LiveRule, now: number): void {
  const elapsed = Math.max(0, now - bucket.at); // a clock that steps back refills nothing
  bucket.tokens = Math.min(live.burst, bucket.tokens + (elapsed / 1000) * live.rate);
  bucket.at = Math.max(bucket.at, now);
}
