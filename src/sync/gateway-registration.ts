// The link's registration contract: how a gateway tells its control plane who it is and how it is
// doing. Sent over the authenticated link (service token) when the gateway starts, every few
// seconds after, and whenever its ports change. Everything here is public knowledge about the
// gateway (its CA certificate, never its key); the control plane shows it and gives it to the CLI
// so `run` and `env` on any machine trust the right CA and point at the right address.

import type { GatewayRetentionView } from '../wire/retention.js';

/** Where a gateway posts its registration. */
export const GATEWAY_REGISTER_PATH = '/internal/gateway/register';

/** How often a gateway reports while nothing changes. */
export const REGISTRATION_INTERVAL_MS = 10_000;

/** Sent by the stream's opener, so the control plane can tell two gateways under one name apart. */
export const GATEWAY_CA_HEADER = 'x-tameflare-gateway-ca';

export interface AgentPortReport {
  /** The gateway's configured range (inclusive): dedicated ports are assigned from it. */
  start: number;
  end: number;
  /** Ports it listens on for agents now. */
  open: number[];
  /** Ports it was asked to open and could not, with why (`EADDRINUSE`, ...). */
  errors: Record<string, string>;
}

/** POST body of GATEWAY_REGISTER_PATH. */
export interface GatewayRegistration {
  gateway: string;
  version: string;
  /** `http://host:port`: where agents send their proxy traffic, and where its API answers. */
  public_url: string;
  /** The interception CA's certificate (PEM) and its SHA-256 fingerprint (see caFingerprint). */
  ca_pem: string;
  ca_fingerprint: string;
  agent_ports: AgentPortReport;
  /** The configuration version the gateway runs (0: none yet). */
  config_version: number;
  /** Events waiting in its outbox. */
  outbox_backlog: number;
  started_at: string;
  /** Its traffic-log retention and last sweep (shown on the dashboard's settings page). */
  retention?: GatewayRetentionView | undefined;
}

/** Its answer. */
export interface RegistrationAck {
  registered: true;
  /** The configuration version the control plane holds for this gateway. */
  config_version: number;
}
