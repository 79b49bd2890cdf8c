// How an agent is shown: its settings, where it points its proxy (its own gateway's public address)
// and the state of its dedicated port as the gateway last reported it.
import type { AgentView } from '../../wire/agents.js';
import type { GatewayPlace } from '../gateways/gateway-places.js';
import { rangeText } from './agent-ports.js';
import type { AgentRow } from './agent-store.js';

export function agentView(a: AgentRow, gw: GatewayPlace): AgentView {
  const addr = gw.publicUrl ? new URL(gw.publicUrl) : undefined;
  const host = addr?.hostname; // IPv6 stays bracketed, as it must be in a URL
  const proxyPort = addr ? Number(addr.port || 80) : undefined;
  return {
    name: a.name,
    gateway: gw.name,
    port: a.port,
    mode: a.mode as AgentView['mode'],
    labels: JSON.parse(a.labels) as Record<string, string>,
    proxy_auth: a.proxy_auth === 1,
    status: a.status as AgentView['status'],
    created_at: a.created_at,
    updated_at: a.updated_at,
    proxy_url: host ? `http://${encodeURIComponent(a.name)}@${host}:${proxyPort}` : null,
    port_url: host && a.port ? `http://${host}:${a.port}` : null,
    ...portState(a.port, gw),
  };
}

function portState(port: number | null, gw: GatewayPlace): Pick<AgentView, 'port_state' | 'port_error'> {
  if (port === null) {
    return {
      port_state: 'pending',
      port_error: gw.range
        ? `gateway ${gw.name}'s agent port range ${rangeText(gw.range)} is full; widen it on the gateway (--agent-port-end) or remove an agent`
        : `gateway ${gw.name} has not registered yet; a dedicated port is assigned from its range when it connects`,
    };
  }
  const error = gw.report?.errors[String(port)];
  if (error)
    return { port_state: 'failed', port_error: `gateway ${gw.name} cannot listen on ${port}: ${error}` };
  if (gw.report?.open.includes(port)) return { port_state: 'open', port_error: null };
  return { port_state: 'unknown', port_error: null };
}
