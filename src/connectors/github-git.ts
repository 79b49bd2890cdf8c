// Git smart HTTP on github.com (and a GitHub Enterprise host): clone/fetch and push go through
// `info/refs` and the `git-upload-pack` / `git-receive-pack` endpoints, LFS objects through the
// LFS batch API (its JSON body says upload or download). A push's first pkt-lines
// name every ref it changes (`<old> <new> <ref>`), ahead of the pack data, so we read them even from
// a truncated body (the gateway bounds it; the pack itself is never needed). A push that deletes a
// ref (`git push origin :main`) is the git way of deleting a branch: it is flagged and high risk.
import type { RouteDef } from './route-table.js';
import { RouteTable } from './route-table.js';
import type { ActionMatch } from './types.js';

const RECEIVE = { in: 'query', field: 'service', equals: 'git-receive-pack' } as const;

// biome-ignore format: one route per line reads as a table
export const GITHUB_GIT_ROUTES: readonly RouteDef[] = [
  { method: 'GET', path: '/{owner}/{repo}/info/refs', action: 'github.git.push', risk: 'medium', description: 'Ref advertisement before a push.', when: [RECEIVE] },
  { method: 'GET', path: '/{owner}/{repo}/info/refs', action: 'github.git.fetch', risk: 'low', description: 'Ref advertisement before a clone or fetch.' },
  { method: 'POST', path: '/{owner}/{repo}/git-upload-pack', action: 'github.git.fetch', risk: 'low', description: 'Clone or fetch (git over HTTPS).' },
  { method: 'POST', path: '/{owner}/{repo}/info/lfs/objects/batch', action: 'github.git.fetch', risk: 'low', description: 'Git LFS download batch.', fields: ['operation'], when: [{ in: 'body', field: 'operation', equals: 'download' }] },
  { method: 'POST', path: '/{owner}/{repo}/info/lfs/objects/batch', action: 'github.git.push', risk: 'medium', description: 'Git LFS upload batch (part of a push; also any batch whose body cannot be read).', fields: ['operation'] },
  { method: 'POST', path: '/{owner}/{repo}/git-receive-pack', action: 'github.git.push', risk: 'medium', description: 'Push (git over HTTPS); deleting a ref makes it high risk.' },
];

export const GIT_TABLE = new RouteTable(GITHUB_GIT_ROUTES);

const ZERO = /^0+$/;
const MAX_COMMANDS = 64;

interface PushCommands {
  refs: string[];
  deletes: boolean;
}

/**
 * The ref-update commands at the start of a receive-pack body, or undefined when the command list
 * is malformed or does not end within `body` (truncated before its flush packet).
 */
export function readPushCommands(body: Buffer): PushCommands | undefined {
  const refs: string[] = [];
  let deletes = false;
  let pos = 0;
  while (pos + 4 <= body.length) {
    const lenText = body.toString('latin1', pos, pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(lenText)) return undefined;
    const len = Number.parseInt(lenText, 16);
    if (len === 0) return { refs, deletes };
    if (len < 4 || pos + len > body.length) return undefined;
    let line = body.toString('utf8', pos + 4, pos + len);
    pos += len;
    const nul = line.indexOf('\0');
    if (nul !== -1) line = line.slice(0, nul);
    line = line.replace(/\n$/, '');
    if (line.startsWith('shallow ')) continue;
    const parts = line.split(' ');
    if (parts.length !== 3) return undefined;
    const [, next, ref] = parts as [string, string, string];
    if (refs.length < MAX_COMMANDS) refs.push(ref);
    if (ZERO.test(next)) deletes = true;
  }
  return undefined;
}

/** Add push details to a `github.git.push` match from the body, when the gateway supplied one. */
export function refinePush(match: ActionMatch, body: Buffer | undefined): ActionMatch {
  if (body === undefined || body.length === 0) return match;
  const cmds = readPushCommands(body);
  if (!cmds) return { ...match, params: { ...match.params, body_error: 'invalid_pkt_lines' } };
  const branches = cmds.refs.filter((r) => r.startsWith('refs/heads/')).map((r) => r.slice(11));
  const tags = cmds.refs.filter((r) => r.startsWith('refs/tags/')).map((r) => r.slice(10));
  const params: Record<string, unknown> = {
    ...match.params,
    refs: cmds.refs,
    branches,
    tags,
    deletes: cmds.deletes,
  };
  if (branches.length > 0) params['branch'] = branches[0];
  return { ...match, params, risk: cmds.deletes ? 'high' : match.risk };
}
