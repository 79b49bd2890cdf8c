// Permissions: (agent, connector, action pattern) → verdict. The most specific pattern wins; on a
// tie the stricter verdict wins, so adding a rule at the same specificity can only tighten. No match
// means deny, which the caller decides (resolvePermission returns undefined).
import { isValidActionPattern, matchesActionPattern, patternSpecificity } from './patterns.js';
import type { PermissionRule, Verdict } from './types.js';

const SEVERITY: Record<Verdict, number> = { allow: 0, require_approval: 1, deny: 2 };

export function verdictSeverity(verdict: Verdict): number {
  return SEVERITY[verdict] ?? SEVERITY.deny;
}

/**
 * The rule that decides `action` for this agent on this connector (by name), or undefined when
 * none matches (default deny). Ties beyond specificity and severity go to the smallest id so the
 * answer never depends on list order.
 */
export function resolvePermission(
  rules: readonly PermissionRule[],
  agent: string,
  connector: string,
  action: string,
): PermissionRule | undefined {
  let best: PermissionRule | undefined;
  let bestSpecificity = -1;
  for (const rule of rules) {
    if (rule.agent !== agent || rule.connector !== connector) continue;
    if (!matchesActionPattern(rule.action, action)) continue;
    const specificity = patternSpecificity(rule.action);
    if (best === undefined || isBetter(rule, specificity, best, bestSpecificity)) {
      best = rule;
      bestSpecificity = specificity;
    }
  }
  return best;
}

function isBetter(rule: PermissionRule, specificity: number, best: PermissionRule, bestSpecificity: number) {
  if (specificity !== bestSpecificity) return specificity > bestSpecificity;
  const severity = verdictSeverity(rule.decision);
  const bestSeverity = verdictSeverity(best.decision);
  if (severity !== bestSeverity) return severity > bestSeverity;
  return String(rule.id) < String(best.id);
}

/** `permission #12 (agent pay-bot, connector stripe, stripe.refund.*) → allow` */
export function describePermission(rule: PermissionRule): string {
  // The line of the rule that allows most requests is asked for on every one of them: kept per rule
  // object, and rebuilt if any field it names has changed since.
  const known = lines.get(rule);
  if (
    known !== undefined &&
    known.id === rule.id &&
    known.agent === rule.agent &&
    known.connector === rule.connector &&
    known.action === rule.action &&
    known.decision === rule.decision
  )
    return known.line;
  const line = `permission #${rule.id} (agent ${rule.agent}, connector ${rule.connector}, ${rule.action}) → ${rule.decision}`;
  lines.set(rule, { ...rule, line });
  return line;
}

const lines = new WeakMap<PermissionRule, PermissionRule & { line: string }>();

export type PermissionPreset = 'allow-all' | 'read-only' | 'require-approval';

export const PERMISSION_PRESETS: readonly PermissionPreset[] = ['allow-all', 'read-only', 'require-approval'];

/** The part of a connector catalogue row the read-only preset needs (see ActionSpec). */
export interface PresetCatalogueEntry {
  action: string;
  method: string;
}

/** Read verbs used when no catalogue is given: connectors name their GET actions with these. */
const READ_VERBS = ['get', 'list'];

/**
 * The rules a preset stands for. Ids are `preset-<preset>-<n>`; the store may give them its own.
 * `read-only` (GET/HEAD) has to be said in action names; see readOnlyPatterns and
 * docs/policies.md. An explicit `deny *` closes it so that `permissions list` shows the default.
 */
export function presetPermissions(
  preset: PermissionPreset,
  agent: string,
  connector: string,
  connectorType: string,
  catalogue?: readonly PresetCatalogueEntry[],
): PermissionRule[] {
  const patterns: [string, Verdict][] = [];
  if (preset === 'allow-all') patterns.push(['*', 'allow']);
  else if (preset === 'require-approval') patterns.push(['*', 'require_approval']);
  else {
    for (const action of readOnlyPatterns(connectorType, catalogue)) patterns.push([action, 'allow']);
    patterns.push(['*', 'deny']);
  }
  return patterns.map(([action, decision], i) => ({
    id: `preset-${preset}-${i + 1}`,
    agent,
    connector,
    action,
    decision,
  }));
}

/**
 * With the connector's catalogue: every action all of whose rows are GET or HEAD (an action also
 * reached by a write, like `github.git.push` whose discovery step is a GET, stays out), except
 * `*.connect` upgrades, which open a WebSocket whose messages are never decided. Without one: the
 * read verbs `get` and `list` at depth 3 and 4. Either way the reads every connector shares:
 * `<type>.get|head` (webhook), `<type>.http.get|head` (unknown paths), `<type>.graphql.query` and
 * `<type>.git.fetch` (reads carried by POST), and `http.get|head` for the generic connector.
 */
function readOnlyPatterns(type: string, catalogue: readonly PresetCatalogueEntry[] | undefined): string[] {
  const out: string[] = [];
  if (catalogue !== undefined) {
    const reads = new Map<string, boolean>();
    for (const entry of catalogue) {
      const method = String(entry.method).trim().toUpperCase();
      const isRead = (method === 'GET' || method === 'HEAD') && !entry.action.endsWith('.connect');
      reads.set(entry.action, (reads.get(entry.action) ?? true) && isRead);
    }
    for (const [action, isRead] of reads) {
      // Catalogue families such as `mcp.tools.{tool}` become `mcp.tools.*`.
      if (isRead) out.push(action.replace(/\{[^}]*\}/g, '*'));
    }
  } else {
    for (const verb of READ_VERBS) out.push(`${type}.*.${verb}`, `${type}.*.*.${verb}`);
  }
  out.push(
    `${type}.get`,
    `${type}.head`,
    `${type}.http.get`,
    `${type}.http.head`,
    `${type}.graphql.query`,
    `${type}.git.fetch`,
  );
  if (type === 'generic') out.push('http.get', 'http.head');
  return [...new Set(out)].filter(isValidActionPattern);
}
