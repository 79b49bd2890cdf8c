// The gateway's configuration compiled for the hot path: look-up maps, the connector index and the
// compiled decision state, built once per snapshot and swapped in with one assignment, so a request
// sees either the old configuration or the new one, never a mix.

import { ConnectorIndex } from '../../connectors/connector-index.js';
import { getConnectorType } from '../../connectors/registry.js';
import type { KillSwitchEntry } from '../../decide/types.js';
import type { GatewayConfigSnapshot, SnapshotAgent, SnapshotConnector } from '../../sync/snapshot.js';
import type { AgentDirectory } from '../pipeline/identity.js';
import { type CompiledDecisions, compileDecisions } from './decision-engine.js';

export interface RuntimeConfig extends AgentDirectory {
  readonly snapshot: GatewayConfigSnapshot;
  readonly connectors: ConnectorIndex;
  readonly connectorsByName: ReadonlyMap<string, SnapshotConnector>;
  readonly decisions: CompiledDecisions;
  /** The snapshot's kill switch entries plus those activated on this gateway directly. */
  readonly killSwitch: readonly KillSwitchEntry[];
}

/** Throws (with a message naming the problem) when the snapshot cannot be compiled. */
export function compileRuntimeConfig(
  snapshot: GatewayConfigSnapshot,
  localKillSwitch: readonly KillSwitchEntry[],
): RuntimeConfig {
  const agentsByName = new Map<string, SnapshotAgent>();
  const agentsByPort = new Map<number, SnapshotAgent>();
  for (const agent of snapshot.agents) {
    agentsByName.set(agent.name, agent);
    if (agent.port !== null) agentsByPort.set(agent.port, agent);
  }
  const connectorsByName = new Map(snapshot.connectors.map((c) => [c.name, c]));
  const connectors = new ConnectorIndex(snapshot.connectors, (c) => {
    if (c.domains.length > 0) return c.domains;
    return getConnectorType(c.type)?.defaultDomains(c.options) ?? [];
  });
  const killSwitch = mergeKillSwitch(snapshot.killSwitch, localKillSwitch);
  return {
    snapshot,
    agentsByName,
    agentsByPort,
    connectors,
    connectorsByName,
    decisions: compileDecisions(snapshot, killSwitch),
    killSwitch,
  };
}

function mergeKillSwitch(a: readonly KillSwitchEntry[], b: readonly KillSwitchEntry[]): KillSwitchEntry[] {
  const byScope = new Map<string, KillSwitchEntry>();
  for (const entry of [...a, ...b]) if (!byScope.has(entry.scope)) byScope.set(entry.scope, entry);
  return [...byScope.values()];
}
