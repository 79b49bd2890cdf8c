// Wire types of /v1/settings/retention: how long the traffic log (on each gateway) and the audit log
// (on the control plane) are kept, who decides it, and what the last sweeps removed.

/** Where the days in force come from. `daemon`: the process's own flag, environment or config.yaml,
 * which wins; `control_plane`: the value set here; `default`: neither. */
export type RetentionSource = 'daemon' | 'control_plane' | 'default';

/** One retention sweep, as the process that ran it reports it (see src/daemon/upkeep). */
export interface RetentionSweepView {
  started_at: string;
  cutoff: string;
  deleted: number;
  freed_bytes: number;
  error: string | null;
}

/** What a gateway reports about its traffic log with each registration. */
export interface GatewayRetentionView {
  /** Days kept (0: everything). */
  days: number;
  source: RetentionSource;
  last_sweep: RetentionSweepView | null;
  /** gateway.db with its WAL, in bytes. */
  database_bytes: number | null;
}

export interface RetentionSettings {
  traffic: {
    /** The value set through this API for every gateway (null: not set, each gateway's own applies). */
    days: number | null;
    default_days: number;
    /** Each registered gateway as it last reported (retention null: it has not reported it yet). */
    gateways: { name: string; status: 'connected' | 'unreachable'; retention: GatewayRetentionView | null }[];
  };
  audit: {
    /** Set on the control plane by AUDIT_RETENTION_DAYS (config.yaml audit_retention_days); 0 keeps all. */
    days: number;
    last_sweep: RetentionSweepView | null;
    /** local.db with its WAL, in bytes (null on PostgreSQL). */
    database_bytes: number | null;
  };
}

/** PUT /v1/settings/retention */
export interface SetRetentionBody {
  /** Days of traffic log every gateway keeps (0: everything); null returns each gateway to its own. */
  traffic_days: number | null;
}
