// Where an agent points its proxy settings, from what the control plane says: the agent record's
// own URL (its gateway's registered public address), else gateway-info. Used by `agent add|rotate-key`
// and `env`.
import { proxyUrlFor } from '../agent-env/proxy-env.js';
import type { AgentView, GatewayInfo } from '../wire/agents.js';
import type { ApiClient } from './api-client.js';
import { query } from './api-options.js';

export async function fetchGatewayInfo(api: ApiClient, gateway: string | undefined): Promise<GatewayInfo> {
  return api.request<GatewayInfo>('GET', `/v1/gateway-info${query({ gateway })}`);
}

export interface AgentProxyUrls {
  proxyUrl: string;
  portUrl: string | null;
}

/** Where the agent's gateway's shared proxy port is: the agent record first, else gateway-info. */
export function proxyAddress(
  agent: Pick<AgentView, 'proxy_url'>,
  info: GatewayInfo | undefined,
): { host: string; port: number } | undefined {
  if (agent.proxy_url) {
    const url = new URL(agent.proxy_url);
    return { host: url.hostname, port: Number(url.port || 80) };
  }
  if (info?.proxy_host && info.proxy_port) return { host: info.proxy_host, port: info.proxy_port };
  return undefined;
}

/** The agent's proxy URLs with its key: the shared gateway port, and its dedicated port if any. */
export function agentProxyUrls(
  agent: AgentView,
  key: string,
  info: GatewayInfo | undefined,
): AgentProxyUrls | undefined {
  const addr = proxyAddress(agent, info);
  if (!addr) return undefined;
  const proxyUrl = proxyUrlFor({ host: addr.host, port: addr.port, agent: agent.name, key });
  let portUrl: string | null = null;
  if (agent.port !== null) {
    const bare = addr.host.includes(':') && !addr.host.startsWith('[') ? `[${addr.host}]` : addr.host;
    portUrl = agent.proxy_auth
      ? proxyUrlFor({ host: addr.host, port: agent.port, agent: agent.name, key })
      : `http://${bare}:${agent.port}`;
  }
  return { proxyUrl, portUrl };
}
