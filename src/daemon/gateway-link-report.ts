// What a gateway says about itself, built from its live state: the registration it sends to its
// control plane (src/sync/gateway-registration.ts) and the part of its /health that describes its
// ports, its outbox and its link. One builder for both, so the two never disagree.
import type { Config } from '../config/config.js';
import type { AgentPortStatus, Gateway } from '../gateway/gateway.js';
import type { OutboxBacklog } from '../storage/outbox-backlog.js';
import type { GatewayRegistration } from '../sync/gateway-registration.js';
import type { GatewayReporter } from '../sync/gateway-reporter.js';
import type { GatewaySync } from '../sync/gateway-sync-client.js';
import type { GatewayRetentionView } from '../wire/retention.js';

export interface GatewayLinkReportInputs {
  config: Pick<Config, 'gatewayName' | 'agentPortStart' | 'agentPortEnd' | 'controlPlaneUrl'>;
  gateway: Gateway;
  version: string;
  startedAt: Date;
  caPem: string;
  caFingerprint: string;
  /** Where agents reach this gateway (the configured public URL, or its bound address). */
  publicUrl(): string | undefined;
  backlog: OutboxBacklog;
  sync(): GatewaySync | undefined;
  reporter(): GatewayReporter | undefined;
  /** Its traffic-log retention and last sweep, for the control plane's settings page. */
  retention?(): GatewayRetentionView | undefined;
}

/** Why a port could not be opened, in words an operator can act on. */
export function describePortError(code: string): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'EADDRINUSE: another program on the gateway host already listens on this port';
    case 'EACCES':
      return 'EACCES: the gateway may not listen on this port (privileged or forbidden)';
    case 'EADDRNOTAVAIL':
      return 'EADDRNOTAVAIL: the bind address is not available on the gateway host';
    default:
      return code;
  }
}

export function registrationOf(inputs: GatewayLinkReportInputs): GatewayRegistration {
  const ports = inputs.gateway.agentPortStatus();
  const health = inputs.gateway.health();
  return {
    gateway: inputs.config.gatewayName,
    version: inputs.version,
    public_url: inputs.publicUrl() ?? '',
    ca_pem: inputs.caPem,
    ca_fingerprint: inputs.caFingerprint,
    agent_ports: {
      start: inputs.config.agentPortStart,
      end: inputs.config.agentPortEnd,
      open: ports.open,
      errors: Object.fromEntries(
        Object.entries(ports.errors).map(([port, code]) => [port, describePortError(code)]),
      ),
    },
    config_version: typeof health.snapshot_version === 'number' ? health.snapshot_version : 0,
    outbox_backlog: inputs.backlog.count() ?? 0,
    started_at: inputs.startedAt.toISOString(),
    retention: inputs.retention?.(),
  };
}

/** The range, and whether agents wait for a port because none is left in it. */
export function portRangeHealth(
  status: AgentPortStatus,
  range: { start: number; end: number },
): Record<string, unknown> {
  const inRange = new Set(status.held.filter((p) => p >= range.start && p <= range.end));
  const free = range.end - range.start + 1 - inRange.size;
  return {
    start: range.start,
    end: range.end,
    free,
    agents_without_port: status.pendingAgents,
    exhausted: free <= 0,
    errors: Object.fromEntries(
      Object.entries(status.errors).map(([port, code]) => [port, describePortError(code)]),
    ),
  };
}

/** The gateway's /health additions: its name, address, outbox, ports and its control plane link. */
export function gatewayHealthExtras(inputs: GatewayLinkReportInputs): Record<string, unknown> {
  return {
    gateway: inputs.config.gatewayName,
    public_url: inputs.publicUrl() ?? null,
    ca_fingerprint: inputs.caFingerprint,
    outbox_backlog: inputs.backlog.count(),
    agent_port_range: portRangeHealth(inputs.gateway.agentPortStatus(), {
      start: inputs.config.agentPortStart,
      end: inputs.config.agentPortEnd,
    }),
    control_plane: controlPlaneHealth(inputs),
  };
}

function controlPlaneHealth(inputs: GatewayLinkReportInputs): Record<string, unknown> {
  const sync = inputs.sync();
  if (!sync) return { configured: false, status: 'not_configured' };
  const st = sync.state();
  const rep = inputs.reporter()?.state();
  return {
    configured: true,
    status: st.connected ? 'connected' : 'unreachable',
    url: inputs.config.controlPlaneUrl ?? 'in-process',
    connected: st.connected,
    config_version: st.lastSnapshotVersion,
    control_config_version: rep?.controlConfigVersion ?? null,
    last_contact_at: st.lastContactAt,
    last_error: st.lastError,
    events_shipped: st.eventsShipped,
    registered: rep?.registered ?? false,
    last_report_at: rep?.lastReportAt ?? null,
    report_error: rep?.lastError ?? null,
  };
}
