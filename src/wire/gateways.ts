// Wire types of /v1/gateways: the gateways registered with this control plane, as they last reported.

export interface GatewayPortsView {
  /** The gateway's configured range (inclusive); dedicated ports are assigned from it. */
  start: number;
  end: number;
  /** Ports it listens on for agents, as of its last report. */
  open: number[];
  /** Ports it could not open, with why. */
  errors: Record<string, string>;
}

export interface GatewayView {
  name: string;
  /** `connected`: its configuration stream is open now; `unreachable`: it is not. */
  status: 'connected' | 'unreachable';
  /** Its software version, as it last reported. */
  version: string | null;
  /** Where agents reach it (`http://host:port`), as it registered. */
  public_url: string | null;
  last_seen_at: string | null;
  registered_at: string | null;
  /** The configuration version this control plane holds for it. */
  config_version: number;
  /** The configuration version it runs, as it last reported. */
  applied_config_version: number | null;
  /** Events waiting in its outbox, as it last reported. */
  outbox_backlog: number | null;
  agent_ports: GatewayPortsView | null;
  /** SHA-256 of its interception CA certificate (`AB:CD:…`). */
  ca_fingerprint: string | null;
  agents: number;
  connectors: number;
}

export interface GatewayList {
  gateways: GatewayView[];
}

/** GET /v1/gateways/:name: one gateway, with its CA certificate (public, PEM). */
export interface GatewayAnswer {
  gateway: GatewayView & { ca_pem: string | null };
}

/** DELETE /v1/gateways/:name */
export interface GatewayRemoved {
  deleted: true;
  agents: number;
  connectors: number;
}
