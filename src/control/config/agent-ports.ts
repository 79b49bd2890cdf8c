// Choosing a dedicated port for a new agent: the lowest one from --agent-port-start that no agent of
// that gateway holds and, when the gateway could be asked, that its host can bind.
import { AppError } from '../../errors/codes.js';
import type { Db } from './gateways.js';

/** How many ports past the start the gateway is asked about, and searched. */
export const PORT_PROBE_COUNT = 64;

export async function portsInUse(db: Db, gatewayId: string): Promise<Set<number>> {
  const rows = await db.selectFrom('agents').select('port').where('gateway_id', '=', gatewayId).execute();
  return new Set(rows.map((r) => r.port).filter((p): p is number => p !== null));
}

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
