// Kill switch scopes. `connector:X` matches a connector whose type or name is X: the CLI speaks of
// types (SPEC 9) while operators know their connectors by name, and a connector's default name is
// its type, so honouring both can only stop more, never less. An entry whose scope cannot be read
// stops everything: an emergency brake that fails must fail engaged.
import type { DecisionRequest, KillSwitchEntry } from './types.js';

/** The first entry whose scope covers this request, if any. */
export function activeKillSwitch(
  entries: readonly KillSwitchEntry[],
  req: Pick<DecisionRequest, 'agent' | 'connector'>,
): KillSwitchEntry | undefined {
  if (!Array.isArray(entries)) return undefined;
  for (const entry of entries) if (killSwitchCovers(entry?.scope, req)) return entry;
  return undefined;
}

export function killSwitchCovers(scope: unknown, req: Pick<DecisionRequest, 'agent' | 'connector'>): boolean {
  if (typeof scope !== 'string') return true;
  if (scope === 'all') return true;
  if (scope.startsWith('agent:')) return scope.slice(6) === req.agent?.name;
  if (scope.startsWith('connector:')) {
    const target = scope.slice(10);
    return target === req.connector?.type || target === req.connector?.name;
  }
  return true;
}

export function describeKillSwitch(entry: KillSwitchEntry): string {
  const scope = typeof entry?.scope === 'string' ? entry.scope : 'unreadable (treated as all)';
  const since = typeof entry?.activatedAt === 'string' ? ` since ${entry.activatedAt}` : '';
  const reason = typeof entry?.reason === 'string' && entry.reason !== '' ? `: ${entry.reason}` : '';
  return `kill switch active (scope ${scope})${since}${reason}`;
}
