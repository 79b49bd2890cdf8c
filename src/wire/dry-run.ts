// Wire types of POST /v1/dry-run.
import type { Risk } from '../connectors/types.js';
import type { Verdict } from '../decide/types.js';

export interface DryRunAnswer {
  verdict: Verdict;
  /** The error code the gateway would answer with, or `allowed`. */
  code: string;
  reasons: string[];
  permission: { id: string; agent: string; connector: string; action: string; decision: Verdict } | null;
  matched_rules: {
    policy: string;
    rule: string;
    decision: Verdict;
    reason: string;
    risk_score: number | null;
    monitor: boolean;
  }[];
  action: string | null;
  params: Record<string, unknown> | null;
  risk: Risk | null;
  connector: { name: string; type: string } | null;
  request: { method: string; host: string; path: string };
  would_have?: Verdict | undefined;
  risk_score?: number | undefined;
  approval?: { timeout_seconds: number | null; approver_roles: string[] } | undefined;
  /** Limits that would take a token if the request were allowed (dry run takes none). */
  rate_limits: { id: string; connector: string | null; action: string | null; rate: number; burst: number }[];
  decided_at: string;
}
