// Choosing a dedicated port for an agent. The gateway owns its ports: it registers the range it
// assigns from (--agent-port-start .. --agent-port-end), and a port is the lowest one of that range
// that no agent of the gateway holds and, when the gateway could be asked, that its host can bind.
// Without a registered range there is nothing to choose from: the agent waits for its gateway.

export interface PortRange {
  start: number;
  end: number;
}

/** The gateway's answer to "which ports of the range can you bind?" (GatewayLink.availablePorts). */
export interface PortProbe {
  /** Bindable ports, lowest first, none of them held by an agent the gateway knows. */
  ports: readonly number[];
  /** Every port of the range up to here was looked at; beyond it nothing is known. */
  checkedUpTo: number;
}

/** How many ports the gateway is asked for at once (its internal API answers at most 100). */
export const PORT_PROBE_COUNT = 100;

/** The lowest free port of the range, or undefined when none is left. */
export function pickAgentPort(
  used: ReadonlySet<number>,
  range: PortRange,
  probe: PortProbe | undefined,
): number | undefined {
  const bindable = new Set(probe?.ports ?? []);
  for (let p = range.start; p <= range.end; p++) {
    if (used.has(p)) continue;
    if (!probe || p > probe.checkedUpTo || bindable.has(p)) return p;
  }
  return undefined;
}

export function rangeText(range: PortRange): string {
  return `${range.start}-${range.end}`;
}
