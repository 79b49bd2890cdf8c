// Wire types of /v1/kill-switch.

export interface KillSwitchEntry {
  /** `all`, `agent:NAME` or `connector:NAME` */
  scope: string;
  reason: string | null;
  activated_by: string;
  activated_at: string;
}

/** Every answer of /v1/kill-switch: the scopes active after the call. */
export interface KillSwitchState {
  active: KillSwitchEntry[];
  /** Entries activated on a gateway itself (e.g. while its control plane was down), as it reported them. */
  gateways: GatewayKillSwitchEntry[];
}

export interface GatewayKillSwitchEntry {
  gateway: string;
  scope: string;
  reason: string | null;
  activated_at: string;
  /** When the gateway last reported it. */
  reported_at: string;
}
