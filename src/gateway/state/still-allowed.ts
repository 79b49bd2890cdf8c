// Whether an open tunnel, WebSocket or stream would still be admitted under a new configuration.
// Only what can make an open connection illegitimate is re-checked: the agent (removed, suspended,
// key revoked or expired), the connector (removed, or no longer covering the host) and the kill
// switch. Permission and policy changes apply from the next request.

import { identify } from '../pipeline/identity.js';
import type { ActiveEntry } from './active-connections.js';
import type { RuntimeConfig } from './runtime-config.js';

export function stillAllowed(config: RuntimeConfig, entry: ActiveEntry, now: Date): boolean {
  if (entry.who) {
    const id = identify(config, entry.who, now);
    if (!id.ok || id.agent.name !== entry.agent) return false;
  } else {
    if (config.agentsByName.get(entry.agent)?.status !== 'active') return false;
  }
  let connector: { name: string; type: string } | null = null;
  if (entry.kind === 'tunnel' || entry.kind === 'raw') {
    const covering = config.connectors.lookup(entry.host, entry.port);
    if (!covering || covering.intercept !== (entry.kind === 'tunnel')) return false;
    connector = covering;
  } else if (entry.connector !== null) {
    const named = config.connectorsByName.get(entry.connector);
    if (!named) return false;
    connector = named;
  }
  return !config.decisions.killed(entry.agent, connector);
}
