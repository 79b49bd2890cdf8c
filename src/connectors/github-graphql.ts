// GitHub GraphQL (`POST /graphql`): `gh` performs many writes here (`gh pr merge` sends
// `mergePullRequest`), so a policy on `github.pr.merge` must see those too. Each known mutation
// maps to the REST action name; a document with several mutation fields maps to the riskiest one
// (all names are in `mutations`), so bundling a merge with a harmless mutation cannot hide it.
// A body we cannot read is an unknown mutation at high risk: GitHub would run it, we cannot say what
// it does.
import { riskRank } from './action-name.js';
import { boundValue, parseBody, scalar, setOwn } from './body.js';
import { type GqlField, type GqlOperation, parseGraphql, resolveVariables } from './graphql-parser.js';
import type { ActionMatch, ActionSpec, ConnectorRequest, Risk } from './types.js';

interface MutationDef {
  action: string;
  risk: Risk;
}

/** Mutation field → REST action. Names not listed map to `github.graphql.mutation`. */
export const GRAPHQL_MUTATIONS: Readonly<Record<string, MutationDef>> = {
  createPullRequest: { action: 'github.pr.create', risk: 'medium' },
  mergePullRequest: { action: 'github.pr.merge', risk: 'high' },
  // Auto-merge merges later without another request: governed as a merge.
  enablePullRequestAutoMerge: { action: 'github.pr.merge', risk: 'high' },
  enqueuePullRequest: { action: 'github.pr.merge', risk: 'high' },
  closePullRequest: { action: 'github.pr.close', risk: 'medium' },
  updatePullRequest: { action: 'github.pr.update', risk: 'medium' },
  reopenPullRequest: { action: 'github.pr.update', risk: 'medium' },
  markPullRequestReadyForReview: { action: 'github.pr.update', risk: 'medium' },
  convertPullRequestToDraft: { action: 'github.pr.update', risk: 'medium' },
  updatePullRequestBranch: { action: 'github.pr.update_branch', risk: 'medium' },
  addPullRequestReview: { action: 'github.pr.review', risk: 'medium' },
  submitPullRequestReview: { action: 'github.pr.review', risk: 'medium' },
  dismissPullRequestReview: { action: 'github.pr.review', risk: 'medium' },
  requestReviews: { action: 'github.pr.request_reviewers', risk: 'low' },
  addPullRequestReviewThread: { action: 'github.pr.comment.create', risk: 'low' },
  createIssue: { action: 'github.issue.create', risk: 'low' },
  updateIssue: { action: 'github.issue.update', risk: 'low' },
  closeIssue: { action: 'github.issue.close', risk: 'medium' },
  reopenIssue: { action: 'github.issue.update', risk: 'low' },
  deleteIssue: { action: 'github.issue.delete', risk: 'high' },
  transferIssue: { action: 'github.issue.transfer', risk: 'medium' },
  addComment: { action: 'github.comment.create', risk: 'low' },
  updateIssueComment: { action: 'github.comment.update', risk: 'low' },
  deleteIssueComment: { action: 'github.comment.delete', risk: 'medium' },
  addLabelsToLabelable: { action: 'github.label.add', risk: 'low' },
  removeLabelsFromLabelable: { action: 'github.label.remove', risk: 'low' },
  createLabel: { action: 'github.label.create', risk: 'low' },
  deleteLabel: { action: 'github.label.delete', risk: 'medium' },
  createRef: { action: 'github.branch.create', risk: 'medium' },
  updateRef: { action: 'github.branch.update', risk: 'medium' },
  deleteRef: { action: 'github.branch.delete', risk: 'high' },
  // Commits file changes to a branch: the GraphQL way of updating files.
  createCommitOnBranch: { action: 'github.file.update', risk: 'medium' },
  createRepository: { action: 'github.repo.create', risk: 'medium' },
  cloneTemplateRepository: { action: 'github.repo.create', risk: 'medium' },
  updateRepository: { action: 'github.repo.update', risk: 'high' },
  archiveRepository: { action: 'github.repo.update', risk: 'high' },
  createBranchProtectionRule: { action: 'github.branch.protection.update', risk: 'high' },
  updateBranchProtectionRule: { action: 'github.branch.protection.update', risk: 'high' },
  deleteBranchProtectionRule: { action: 'github.branch.protection.delete', risk: 'high' },
  addReaction: { action: 'github.reaction.create', risk: 'low' },
  removeReaction: { action: 'github.reaction.delete', risk: 'low' },
};

const UNKNOWN: MutationDef = { action: 'github.graphql.mutation', risk: 'medium' };

export function graphqlCatalogue(): ActionSpec[] {
  const rows: ActionSpec[] = [
    row('github.graphql.query', 'low', '(any query)', 'A GraphQL query (reads only).'),
    row(
      'github.graphql.mutation',
      'medium',
      '(other mutations)',
      'A mutation without a REST equivalent here.',
    ),
  ];
  for (const [name, def] of Object.entries(GRAPHQL_MUTATIONS)) {
    rows.push(row(def.action, def.risk, name, `GraphQL mutation ${name}.`));
  }
  return rows;
}

function row(action: string, risk: Risk, field: string, description: string): ActionSpec {
  const params = ['operation', 'operation_name', 'mutations', '(input fields, snake_case)'];
  return { action, method: 'POST (GraphQL)', path: `/graphql ${field}`, risk, params, description };
}

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Policy-friendly params from a mutation's arguments: the scalar members of `input`, snake_case. */
function mutationParams(
  field: GqlField,
  variables: Record<string, unknown>,
  params: Record<string, unknown>,
) {
  const args = resolveVariables(field.args, variables) as Record<string, unknown>;
  const input = args['input'];
  const source = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : args;
  let n = 0;
  for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
    const s = scalar(v);
    if (s !== undefined && n++ < 32) setOwn(params, snake(k), s);
  }
  // The few inputs that carry what REST puts in the path or body.
  const src = source as Record<string, unknown>;
  if (typeof params['merge_method'] === 'string')
    params['merge_method'] = params['merge_method'].toLowerCase();
  if (typeof src['baseRefName'] === 'string') params['branch'] = src['baseRefName'];
  if (typeof src['name'] === 'string' && src['name'].startsWith('refs/heads/')) {
    params['branch'] = src['name'].slice('refs/heads/'.length);
  }
  const branch = src['branch'];
  if (branch !== null && typeof branch === 'object') {
    const b = branch as Record<string, unknown>;
    if (typeof b['branchName'] === 'string') params['branch'] = b['branchName'];
    const full = b['repositoryNameWithOwner'];
    if (typeof full === 'string' && full.includes('/')) {
      params['owner'] = full.slice(0, full.indexOf('/'));
      params['repo'] = full.slice(full.indexOf('/') + 1);
    }
  }
}

function bodyError(error: string): ActionMatch {
  return { action: UNKNOWN.action, params: { body_error: error }, risk: 'high' };
}

/** Map a `POST /graphql` request. */
export function mapGraphql(req: ConnectorRequest): ActionMatch {
  const parsed = parseBody(req, 'json');
  if (!parsed.ok) return bodyError(parsed.error);
  const body = parsed.value;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bodyError('invalid_graphql');
  const { query, operationName, variables } = body as Record<string, unknown>;
  if (typeof query !== 'string') return bodyError('invalid_graphql');
  const doc = parseGraphql(query);
  if (!doc.ok) return bodyError('invalid_graphql');
  // With an operation name GitHub runs that one; without, it needs a single operation. When the
  // choice is ambiguous, judge every operation (the riskiest wins).
  let ops: GqlOperation[] = doc.operations;
  if (typeof operationName === 'string' && operationName !== '') {
    ops = ops.filter((o) => o.name === operationName);
    if (ops.length === 0) return bodyError('unknown_operation');
  }
  const vars =
    variables !== null && typeof variables === 'object' && !Array.isArray(variables)
      ? (variables as Record<string, unknown>)
      : {};
  const mutationFields = ops.filter((o) => o.type === 'mutation').flatMap((o) => o.fields);
  const opName = ops.length === 1 ? ops[0]!.name : undefined;
  if (!ops.some((o) => o.type === 'mutation')) {
    const params: Record<string, unknown> = { operation: ops.length === 1 ? ops[0]!.type : 'query' };
    if (opName) params['operation_name'] = opName;
    return { action: 'github.graphql.query', params, risk: 'low' };
  }
  let chosen: GqlField | undefined;
  let def = UNKNOWN;
  for (const f of mutationFields) {
    const d = Object.hasOwn(GRAPHQL_MUTATIONS, f.name) ? GRAPHQL_MUTATIONS[f.name]! : UNKNOWN;
    if (!chosen || riskRank(d.risk) > riskRank(def.risk)) {
      chosen = f;
      def = d;
    }
  }
  const params: Record<string, unknown> = {};
  if (chosen) mutationParams(chosen, vars, params);
  params['operation'] = 'mutation';
  if (opName) params['operation_name'] = opName;
  params['mutations'] = boundValue(mutationFields.map((f) => f.name));
  return { action: def.action, params, risk: def.risk };
}
