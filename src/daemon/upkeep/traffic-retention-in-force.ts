// Which traffic-log retention a gateway applies. The daemon's own setting (--traffic-retention-days,
// TAMEFLARE_TRAFFIC_RETENTION_DAYS or config.yaml traffic_retention_days) wins: whoever runs the
// gateway host has the last word on what stays on its disk, and the dashboard shows the value as
// fixed there. Without one, the value set on the control plane (/v1/settings/retention, sent in the
// configuration snapshot) replaces the built-in default.
import type { ConfigSource } from '../../config/config.js';
import type { RetentionSource, RetentionSweepView } from '../../wire/retention.js';
import type { SweepReport } from './retention-sweep.js';

export interface RetentionInForce {
  days: number;
  source: RetentionSource;
}

export function trafficRetentionInForce(opts: {
  configuredDays: number;
  /** Where the configured days came from; undefined (an embedding without sources): set on purpose. */
  configuredFrom: ConfigSource | undefined;
  fromControlPlane: () => number | undefined;
}): () => RetentionInForce {
  const fixed = opts.configuredFrom !== 'default';
  return () => {
    if (fixed) return { days: opts.configuredDays, source: 'daemon' };
    const set = opts.fromControlPlane();
    return set === undefined
      ? { days: opts.configuredDays, source: 'default' }
      : { days: set, source: 'control_plane' };
  };
}

/** A sweep as a gateway reports it to its control plane. */
export function sweepView(s: SweepReport | null | undefined): RetentionSweepView | null {
  if (!s) return null;
  return {
    started_at: s.started_at,
    cutoff: s.cutoff,
    deleted: s.deleted,
    freed_bytes: Math.round(s.freed_bytes),
    error: s.error,
  };
}
