// GitHub REST routes for administration: repositories, organisations, teams, collaborators,
// secrets, hooks, deploy keys, Actions workflows, users, search. Most writes here change who can do
// what or what runs with secrets, hence the high risks.
import type { RouteDef } from './route-table.js';

const R = '/repos/{owner}/{repo}';
const WF = `${R}/actions/workflows/{workflow_id}`;
const RUN = `${R}/actions/runs/{run_id:int}`;

// biome-ignore format: one route per line reads as a table
export const GITHUB_ADMIN_ROUTES: readonly RouteDef[] = [
  // Repositories
  { method: 'GET', path: R, action: 'github.repo.get', risk: 'low', description: 'Get a repository.' },
  { method: 'PATCH', path: R, action: 'github.repo.update', risk: 'high', description: 'Change repository settings (visibility, default branch, archive).', fields: ['visibility', 'private', 'archived', 'default_branch', 'name'] },
  { method: 'DELETE', path: R, action: 'github.repo.delete', risk: 'high', description: 'Delete a repository.' },
  { method: 'POST', path: '/user/repos', action: 'github.repo.create', risk: 'medium', description: 'Create a repository for the user.', fields: ['name', 'private', 'visibility'] },
  { method: 'POST', path: '/orgs/{org}/repos', action: 'github.repo.create', risk: 'medium', description: 'Create a repository in an organisation.', fields: ['name', 'private', 'visibility'] },
  { method: 'POST', path: '/repos/{template_owner}/{template_repo}/generate', action: 'github.repo.create', risk: 'medium', description: 'Create a repository from a template.', fields: ['owner', 'name', 'private'] },
  { method: 'POST', path: `${R}/forks`, action: 'github.repo.fork', risk: 'low', description: 'Fork a repository.', fields: ['organization'] },
  { method: 'POST', path: `${R}/transfer`, action: 'github.repo.transfer', risk: 'high', description: 'Transfer a repository to another owner.', fields: ['new_owner'] },
  { method: 'GET', path: '/user/repos', action: 'github.repo.list', risk: 'low', description: "List the user's repositories." },
  { method: 'GET', path: '/orgs/{org}/repos', action: 'github.repo.list', risk: 'low', description: "List an organisation's repositories." },
  { method: 'GET', path: '/users/{username}/repos', action: 'github.repo.list', risk: 'low', description: "List a user's public repositories." },
  { method: 'GET', path: `${R}/collaborators`, action: 'github.collaborator.list', risk: 'low', description: 'List collaborators.' },
  { method: 'PUT', path: `${R}/collaborators/{username}`, action: 'github.collaborator.add', risk: 'high', description: 'Add or invite a collaborator.', fields: ['permission'] },
  { method: 'DELETE', path: `${R}/collaborators/{username}`, action: 'github.collaborator.remove', risk: 'high', description: 'Remove a collaborator.' },
  { method: 'GET', path: `${R}/actions/secrets`, action: 'github.secret.list', risk: 'low', description: 'List Actions secret names.' },
  { method: 'PUT', path: `${R}/actions/secrets/{secret_name}`, action: 'github.secret.update', risk: 'high', description: 'Create or update an Actions secret.' },
  { method: 'DELETE', path: `${R}/actions/secrets/{secret_name}`, action: 'github.secret.delete', risk: 'high', description: 'Delete an Actions secret.' },
  { method: 'POST', path: `${R}/hooks`, action: 'github.webhook.create', risk: 'high', description: 'Create a repository webhook.' },
  { method: 'DELETE', path: `${R}/hooks/{hook_id:int}`, action: 'github.webhook.delete', risk: 'high', description: 'Delete a repository webhook.' },
  { method: 'POST', path: `${R}/keys`, action: 'github.deploy_key.create', risk: 'high', description: 'Add a deploy key.', fields: ['read_only'] },
  { method: 'DELETE', path: `${R}/keys/{key_id:int}`, action: 'github.deploy_key.delete', risk: 'high', description: 'Remove a deploy key.' },

  // Organisations, teams, users
  { method: 'GET', path: '/orgs/{org}', action: 'github.org.get', risk: 'low', description: 'Get an organisation.' },
  { method: 'PATCH', path: '/orgs/{org}', action: 'github.org.update', risk: 'high', description: 'Change organisation settings.', fields: ['default_repository_permission', 'members_can_create_repositories'] },
  { method: 'GET', path: '/orgs/{org}/members', action: 'github.org.member.list', risk: 'low', description: 'List organisation members.' },
  { method: 'GET', path: '/orgs/{org}/teams', action: 'github.team.list', risk: 'low', description: 'List teams.' },
  { method: 'POST', path: '/orgs/{org}/teams', action: 'github.team.create', risk: 'medium', description: 'Create a team.', fields: ['name', 'privacy', 'permission'] },
  { method: 'DELETE', path: '/orgs/{org}/teams/{team_slug}', action: 'github.team.delete', risk: 'high', description: 'Delete a team.' },
  { method: 'PUT', path: '/orgs/{org}/teams/{team_slug}/memberships/{username}', action: 'github.team.member.add', risk: 'high', description: 'Add a team member.', fields: ['role'] },
  { method: 'GET', path: '/user', action: 'github.user.get', risk: 'low', description: 'Get the authenticated user.' },
  { method: 'GET', path: '/users/{username}', action: 'github.user.get', risk: 'low', description: 'Get a user.' },
  { method: 'GET', path: '/search/{kind}', action: 'github.search.list', risk: 'low', description: 'Search code, issues, repositories, commits or users.' },
  { method: 'GET', path: '/rate_limit', action: 'github.rate_limit.get', risk: 'low', description: 'Get rate-limit status.' },

  // Actions
  { method: 'GET', path: `${R}/actions/workflows`, action: 'github.workflow.list', risk: 'low', description: 'List workflows.' },
  { method: 'GET', path: WF, action: 'github.workflow.get', risk: 'low', description: 'Get a workflow.' },
  { method: 'POST', path: `${WF}/dispatches`, action: 'github.workflow.dispatch', risk: 'high', description: 'Run a workflow (workflow_dispatch).', fields: ['ref'] },
  { method: 'PUT', path: `${WF}/enable`, action: 'github.workflow.enable', risk: 'medium', description: 'Enable a workflow.' },
  { method: 'PUT', path: `${WF}/disable`, action: 'github.workflow.disable', risk: 'medium', description: 'Disable a workflow.' },
  { method: 'GET', path: `${WF}/runs`, action: 'github.workflow.run.list', risk: 'low', description: 'List runs of a workflow.', fields: ['branch', 'status'] },
  { method: 'GET', path: `${R}/actions/runs`, action: 'github.workflow.run.list', risk: 'low', description: 'List workflow runs.', fields: ['branch', 'status'] },
  { method: 'GET', path: RUN, action: 'github.workflow.run.get', risk: 'low', description: 'Get a workflow run.' },
  { method: 'GET', path: `${RUN}/logs`, action: 'github.workflow.run.logs', risk: 'low', description: 'Download run logs.' },
  { method: 'POST', path: `${RUN}/rerun`, action: 'github.workflow.run.rerun', risk: 'medium', description: 'Re-run a workflow run.' },
  { method: 'POST', path: `${RUN}/cancel`, action: 'github.workflow.run.cancel', risk: 'medium', description: 'Cancel a workflow run.' },
];
