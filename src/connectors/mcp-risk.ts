// Risk of an MCP tool from its name, unless the operator says otherwise. Tool names are free text
// chosen by the server author, so this is a heuristic on the words in the name: any destructive
// word makes it high, then any writing word medium, then any reading word low; a name with none
// of them is medium (unknown effects are not assumed harmless).
import { isRisk } from './action-name.js';
import type { Risk } from './types.js';

// biome-ignore format: word lists read better filled
const HIGH = new Set([
  'delete', 'remove', 'rm', 'drop', 'destroy', 'truncate', 'purge', 'wipe', 'erase', 'kill', 'terminate',
  'execute', 'exec', 'run', 'shell', 'eval', 'cmd', 'bash', 'sudo', 'deploy', 'merge', 'transfer', 'pay',
  'refund', 'revoke', 'reset', 'force', 'grant', 'shutdown',
]);
// biome-ignore format: word lists read better filled
const MEDIUM = new Set([
  'create', 'send', 'write', 'update', 'post', 'put', 'patch', 'set', 'add', 'edit', 'modify', 'insert',
  'upload', 'move', 'rename', 'push', 'publish', 'commit', 'save', 'append', 'replace', 'apply', 'invite',
  'archive', 'close', 'open', 'comment', 'reply', 'schedule', 'assign', 'install', 'start', 'stop',
]);
// biome-ignore format: word lists read better filled
const LOW = new Set([
  'read', 'get', 'list', 'search', 'fetch', 'find', 'query', 'describe', 'view', 'show', 'count', 'lookup',
  'browse', 'status', 'info', 'check', 'inspect', 'diff', 'log', 'logs', 'summarize', 'explain', 'ls', 'cat',
]);

/** Words of a tool name: snake, kebab, dotted, slashed and camelCase all split. */
function words(name: string): string[] {
  return name
    .slice(0, 256)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

export function toolRiskFromName(name: string): Risk {
  const ws = words(name);
  if (ws.some((w) => HIGH.has(w))) return 'high';
  if (ws.some((w) => MEDIUM.has(w))) return 'medium';
  if (ws.some((w) => LOW.has(w))) return 'low';
  return 'medium';
}

/**
 * `options.extra.toolRisk`: `{ "<tool name>": "low"|"medium"|"high", "*": default }`. Exact tool names
 * first, then `*`, then the name heuristic. Invalid values are ignored.
 */
export function toolRisk(name: string, extra: Record<string, unknown> | undefined): Risk {
  const table = extra?.['toolRisk'];
  if (table !== null && typeof table === 'object' && !Array.isArray(table)) {
    const t = table as Record<string, unknown>;
    const exact = Object.hasOwn(t, name) ? t[name] : undefined;
    if (isRisk(exact)) return exact;
    const star = Object.hasOwn(t, '*') ? t['*'] : undefined;
    if (isRisk(star)) return star;
  }
  return toolRiskFromName(name);
}
