// Wire types of /v1/rate-limits.

export interface RateLimitView {
  id: string;
  /** An agent's name, or `*` for every agent. */
  agent: string;
  connector: string | null;
  action: string | null;
  /** Tokens per second. */
  rate: number;
  burst: number;
  created_at: string;
}

export interface RateLimitSetAnswer {
  change: 'created' | 'updated' | 'unchanged';
  rate_limit: RateLimitView;
}

export interface RateLimitList {
  rate_limits: RateLimitView[];
}

export interface RateLimitDeleted {
  deleted: true;
  id: string;
}
