// The policy document (SPEC 6). Its keys are a public contract: users keep these files in git.
import type { Verdict } from './types.js';

export type Operator =
  | 'equals'
  | 'not_equals'
  | 'in'
  | 'not_in'
  | 'contains'
  | 'not_contains'
  | 'starts_with'
  | 'ends_with'
  | 'matches'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'exists';

export interface LeafCondition {
  field: string;
  operator: Operator;
  value?: unknown;
}

export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export interface PolicyRule {
  name: string;
  when?: Condition | undefined; // absent: always matches
  decision: Verdict;
  reason?: string | undefined;
  risk_score?: number | undefined;
  approval?: { timeout_seconds?: number | undefined; approver_roles?: string[] | undefined } | undefined;
}

export interface PolicyDocument {
  name: string;
  description?: string | undefined;
  enabled: boolean;
  priority: number; // lower runs first
  mode: 'enforce' | 'monitor';
  scope?:
    | {
        agents?: string[] | undefined;
        labels?: Record<string, string> | undefined;
        connectors?: string[] | undefined;
        actions?: string[] | undefined;
      }
    | undefined;
  rules: PolicyRule[];
}

/** Token-bucket rate limit for an agent, optionally narrowed to a connector or action pattern. */
export interface RateLimitRule {
  id: string;
  agent: string; // agent name, or '*' for every agent
  connector?: string | undefined;
  action?: string | undefined; // pattern
  rate: number; // tokens per second
  burst: number; // bucket size
}
