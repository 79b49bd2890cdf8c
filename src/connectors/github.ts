// GitHub: REST (api.github.com, or a GitHub Enterprise Server base URL under /api/v3), GraphQL
// (`/graphql`, `/api/graphql` on GHES) and git smart HTTP (github.com, or the GHES host). REST is
// tried first, then git, so the connector works whatever domains the operator lists.
import { unknownAction } from './action-name.js';
import { baseUrlParts } from './base-url.js';
import { GIT_TABLE, refinePush } from './github-git.js';
import { graphqlCatalogue, mapGraphql } from './github-graphql.js';
import { GITHUB_CODE_ROUTES } from './github-routes.js';
import { GITHUB_ADMIN_ROUTES } from './github-routes-admin.js';
import { pathSegments, stripPrefix } from './path-segments.js';
import { guardedBodyAnswer, guardedMap, mapMatch, needsBody, type RestMapping } from './rest-mapper.js';
import { type PathMatch, type RouteDef, RouteTable } from './route-table.js';
import type { ActionMatch, ConnectorOptions, ConnectorRequest, ConnectorType } from './types.js';

const REPO_PREFIX = /^\/repos\/\{owner\}\/\{repo\}(?=\/|$)/;
const NAMED = [...GITHUB_CODE_ROUTES, ...GITHUB_ADMIN_ROUTES];
// GitHub also serves every repository route under `/repositories/{id}` (clients use it after a
// rename); without these aliases a merge sent that way would only be `github.http.put`.
const BY_ID: RouteDef[] = NAMED.filter((r) => REPO_PREFIX.test(r.path)).map((r) => ({
  ...r,
  path: r.path.replace(REPO_PREFIX, '/repositories/{repository_id:int}'),
  alias: true,
}));
const REST: RestMapping = { table: new RouteTable([...NAMED, ...BY_ID]), bodyFormat: 'json' };
const GIT: RestMapping = { table: GIT_TABLE, bodyFormat: 'json' };

type Target =
  | { kind: 'rest'; match: PathMatch }
  | { kind: 'graphql' }
  | { kind: 'git'; segs: string[] }
  | { kind: 'none' };

/** Where a path goes: the REST root is `/` (or the base URL's path), GraphQL sits beside it. */
function target(method: string, path: string, options: ConnectorOptions): Target {
  const segs = pathSegments(path);
  if (!segs) return { kind: 'none' };
  const base = baseUrlParts(options.baseUrl)?.segments ?? [];
  const rest = stripPrefix(segs, base);
  if (method === 'POST') {
    // GHES serves GraphQL at /api/graphql next to /api/v3.
    const gql =
      base.length > 0 && base[base.length - 1] === 'v3'
        ? [...base.slice(0, -1), 'graphql']
        : [...base, 'graphql'];
    if (segs.length === gql.length && segs.every((s, i) => s.toLowerCase() === gql[i]))
      return { kind: 'graphql' };
  }
  const match = rest && REST.table.match(method, rest);
  if (match) return { kind: 'rest', match };
  return { kind: 'git', segs };
}

/**
 * Params derived from others: a branch ref (`refs/heads/x`, `heads/x`), a workflow dispatch ref or
 * a PR base names the branch; `repo.git` is `repo`. Other refs (tags, shas) name no branch.
 */
function finish(m: ActionMatch): ActionMatch {
  const p = m.params;
  if (typeof p['repo'] === 'string' && p['repo'].endsWith('.git')) p['repo'] = p['repo'].slice(0, -4);
  if (p['branch'] === undefined && typeof p['ref'] === 'string') {
    const ref = p['ref'];
    const head = /^(?:refs\/)?heads\/(.+)$/.exec(ref);
    if (head) p['branch'] = head[1];
    else if (m.action === 'github.workflow.dispatch' && !/^(?:refs\/)?tags\//.test(ref)) p['branch'] = ref;
  }
  if (p['branch'] === undefined && typeof p['base'] === 'string') p['branch'] = p['base'];
  return m;
}

function map(req: ConnectorRequest, options: ConnectorOptions): ActionMatch {
  const t = target(req.method, req.path, options);
  if (t.kind === 'graphql') return mapGraphql(req);
  if (t.kind === 'rest') {
    const m = mapMatch(t.match, req, REST);
    if (m) return finish(m);
  }
  if (t.kind === 'git') {
    const match = GIT.table.match(req.method, t.segs);
    const m = match && mapMatch(match, req, GIT);
    if (m) {
      const done = finish(m);
      return isPushBody(req, options) ? refinePush(done, req.body) : done;
    }
  }
  return unknownAction('github', req.method);
}

function wantsBody(req: Pick<ConnectorRequest, 'method' | 'path'>, options: ConnectorOptions): boolean {
  const t = target(req.method, req.path, options);
  if (t.kind === 'graphql') return true;
  if (t.kind === 'rest') return needsBody(req.method, t.match);
  if (t.kind === 'none') return false;
  return isPushBody(req, options) || needsBody(req.method, GIT.table.match(req.method, t.segs));
}

function isPushBody(req: Pick<ConnectorRequest, 'method' | 'path'>, options: ConnectorOptions): boolean {
  if (req.method !== 'POST') return false;
  const t = target(req.method, req.path, options);
  return t.kind === 'git' && t.segs.length === 3 && t.segs[2]!.toLowerCase() === 'git-receive-pack';
}

export const githubConnector: ConnectorType = {
  type: 'github',
  title: 'GitHub',
  defaultDomains(options) {
    const base = baseUrlParts(options.baseUrl);
    return base ? [base.host] : ['api.github.com', 'github.com'];
  },
  defaultAuth: 'bearer',
  credentialHeaders: ['authorization'],
  // Contents API writes carry whole files (base64); larger ones are refused by the gateway.
  maxBodyBytes: 4 * 1024 * 1024,
  wantsBody: (req, options) => guardedBodyAnswer(true, () => wantsBody(req, options)),
  bodyPrefixSuffices: (req, options) => guardedBodyAnswer(false, () => isPushBody(req, options)),
  map: (req, options) => guardedMap('github.http', req, () => map(req, options)),
  catalogue: [
    ...REST.table.catalogue(''),
    ...graphqlCatalogue(),
    ...GIT.table.catalogue('').map((s) => ({ ...s, path: s.path.replace('{repo}', '{repo}[.git]') })),
  ],
  docs: {
    parameters: [
      'owner, repo, number (int), branch, ref, path, merge_method, sha, state, and the ids in the path',
      'branch: from the path, a `ref` (refs/heads/ stripped), a PR `base`, or a GraphQL input',
      'git push: refs, branches, tags, deletes (true when a ref is deleted), branch (the first one)',
      'GraphQL: operation, operation_name, mutations (every top-level field), input fields in snake_case',
    ],
    notes: [
      'Repository routes also match under `/repositories/{repository_id}` (same actions; `repository_id` instead of owner and repo).',
      'GitHub Enterprise Server: give `--base-url https://HOST/api/v3`; REST paths are matched below it, GraphQL at `/api/graphql`, git at the host root.',
      'Requests whose action or params depend on the body (PR/issue PATCH, contents PUT/DELETE, GraphQL, git push...) are read up to 4 MiB; git push needs only the ref commands at the start of the body.',
      'GraphQL with several mutations maps to the riskiest one; unreadable GraphQL is `github.graphql.mutation` at high risk with `body_error`.',
      '`git push origin :branch` deletes a branch through git: `github.git.push` with `deletes: true`, high risk.',
    ],
  },
};
