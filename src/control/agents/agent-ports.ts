// Choosing a dedicated port for a new agent: the lowest one from --agent-port-start that no agent of
// that gateway holds and, when the gateway could be asked, that its host can bind.
import { AppError } from '../../errors/codes.js';

/** How many ports past the start the gateway is asked about, and searched. */
export const PORT_PROBE_COUNT = 64;

export function pickAgentPort(
  used: ReadonlySet<number>,
  start: number,
  available: readonly number[] | undefined,
): number {
  for (let p = start; p <= 65_535 && p < start + 1024; p++) {
    if (used.has(p)) continue;
    if (available === undefined || available.includes(p)) return p;
  }
  throw new AppError('conflict', 'no free dedicated port is left for a new agent');
}
