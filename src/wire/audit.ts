// Wire types of /v1/audit.

export interface AuditEventView {
  id: number;
  created_at: string;
  event_type: string;
  /** `user:<email>`, `token:<name>`, `agent:<name>`, `gateway:<name>`, `system`, `maintenance` */
  actor: string;
  subject: string | null;
  details: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export type ChainProblem = 'altered' | 'deleted' | 'inserted' | 'reordered';

export interface AuditVerification {
  ok: boolean;
  /** Events whose hash and link were checked (up to the first bad one). */
  checked: number;
  /** The signed retention anchor the chain starts from, when events were pruned. */
  anchor: { id: number; hash: string; pruned_total: number; pruned_at: string } | null;
  /** The newest event that verified. Keep its hash elsewhere: a later head must descend from it. */
  head: { id: number; hash: string } | null;
  first_bad: {
    /** The first event whose place in the chain is wrong (for a deletion, the first missing id). */
    id: number;
    event_type: string | null;
    created_at: string | null;
    problem: ChainProblem;
    reason: string;
  } | null;
  verified_at: string;
}
