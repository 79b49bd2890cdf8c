// GitHub REST routes for code and collaboration: pull requests, issues, comments, labels,
// branches and refs, files, releases. Paths are relative to the API root (api.github.com, or
// `/api/v3` on GitHub Enterprise Server). Organisation, repository administration and Actions
// routes are in github-routes-admin.ts.
import type { RouteDef } from './route-table.js';

const R = '/repos/{owner}/{repo}';
const PR = `${R}/pulls/{number:int}`;
const ISSUE = `${R}/issues/{number:int}`;

// biome-ignore format: one route per line reads as a table
export const GITHUB_CODE_ROUTES: readonly RouteDef[] = [
  // Pull requests
  { method: 'POST', path: `${R}/pulls`, action: 'github.pr.create', risk: 'medium', description: 'Open a pull request.', fields: ['base', 'head', 'draft'] },
  { method: 'PUT', path: `${PR}/merge`, action: 'github.pr.merge', risk: 'high', description: 'Merge a pull request.', fields: ['merge_method', 'sha'] },
  { method: 'PATCH', path: PR, action: 'github.pr.close', risk: 'medium', description: 'Close a pull request.', fields: ['state', 'base'], when: [{ in: 'body', field: 'state', equals: 'closed' }] },
  { method: 'PATCH', path: PR, action: 'github.pr.update', risk: 'medium', description: 'Edit a pull request (title, body, base, reopen).', fields: ['state', 'base'] },
  { method: 'POST', path: `${PR}/reviews`, action: 'github.pr.review', risk: 'medium', description: 'Review a pull request (approve, request changes, comment).', fields: ['event'] },
  { method: 'POST', path: `${PR}/reviews/{review_id:int}/events`, action: 'github.pr.review', risk: 'medium', description: 'Submit a pending review.', fields: ['event'] },
  { method: 'PUT', path: `${PR}/reviews/{review_id:int}/dismissals`, action: 'github.pr.review', risk: 'medium', description: 'Dismiss a review.' },
  { method: 'POST', path: `${PR}/requested_reviewers`, action: 'github.pr.request_reviewers', risk: 'low', description: 'Request reviewers.' },
  { method: 'PUT', path: `${PR}/update-branch`, action: 'github.pr.update_branch', risk: 'medium', description: 'Update the PR branch from its base.' },
  { method: 'POST', path: `${PR}/comments`, action: 'github.pr.comment.create', risk: 'low', description: 'Comment on a pull request diff.' },
  { method: 'GET', path: `${R}/pulls`, action: 'github.pr.list', risk: 'low', description: 'List pull requests.', fields: ['state', 'base', 'head'] },
  { method: 'GET', path: PR, action: 'github.pr.get', risk: 'low', description: 'Get a pull request.' },
  { method: 'GET', path: `${PR}/files`, action: 'github.pr.file.list', risk: 'low', description: 'List files of a pull request.' },
  { method: 'GET', path: `${PR}/commits`, action: 'github.pr.commit.list', risk: 'low', description: 'List commits of a pull request.' },
  { method: 'GET', path: `${PR}/reviews`, action: 'github.pr.review.list', risk: 'low', description: 'List reviews.' },
  { method: 'GET', path: `${PR}/comments`, action: 'github.pr.comment.list', risk: 'low', description: 'List diff comments.' },
  { method: 'GET', path: `${PR}/merge`, action: 'github.pr.check_merged', risk: 'low', description: 'Check whether a pull request was merged.' },

  // Issues, comments, labels
  { method: 'POST', path: `${R}/issues`, action: 'github.issue.create', risk: 'low', description: 'Open an issue.' },
  { method: 'PATCH', path: ISSUE, action: 'github.issue.close', risk: 'medium', description: 'Close an issue.', fields: ['state', 'state_reason'], when: [{ in: 'body', field: 'state', equals: 'closed' }] },
  { method: 'PATCH', path: ISSUE, action: 'github.issue.update', risk: 'low', description: 'Edit an issue (title, body, assignees, reopen).', fields: ['state', 'state_reason'] },
  { method: 'PUT', path: `${ISSUE}/lock`, action: 'github.issue.lock', risk: 'medium', description: 'Lock an issue conversation.' },
  { method: 'GET', path: `${R}/issues`, action: 'github.issue.list', risk: 'low', description: 'List repository issues.', fields: ['state'] },
  { method: 'GET', path: '/issues', action: 'github.issue.list', risk: 'low', description: 'List issues assigned to the user.', fields: ['state'] },
  { method: 'GET', path: ISSUE, action: 'github.issue.get', risk: 'low', description: 'Get an issue.' },
  { method: 'POST', path: `${ISSUE}/comments`, action: 'github.comment.create', risk: 'low', description: 'Comment on an issue or pull request.' },
  { method: 'GET', path: `${ISSUE}/comments`, action: 'github.comment.list', risk: 'low', description: 'List comments.' },
  { method: 'GET', path: `${R}/issues/comments/{comment_id:int}`, action: 'github.comment.get', risk: 'low', description: 'Get a comment.' },
  { method: 'PATCH', path: `${R}/issues/comments/{comment_id:int}`, action: 'github.comment.update', risk: 'low', description: 'Edit a comment.' },
  { method: 'DELETE', path: `${R}/issues/comments/{comment_id:int}`, action: 'github.comment.delete', risk: 'medium', description: 'Delete a comment.' },
  { method: 'POST', path: `${ISSUE}/labels`, action: 'github.label.add', risk: 'low', description: 'Add labels to an issue or pull request.' },
  { method: 'PUT', path: `${ISSUE}/labels`, action: 'github.label.set', risk: 'low', description: 'Replace all labels.' },
  { method: 'DELETE', path: `${ISSUE}/labels`, action: 'github.label.clear', risk: 'low', description: 'Remove all labels.' },
  { method: 'DELETE', path: `${ISSUE}/labels/{name}`, action: 'github.label.remove', risk: 'low', description: 'Remove one label.' },
  { method: 'GET', path: `${R}/labels`, action: 'github.label.list', risk: 'low', description: 'List repository labels.' },
  { method: 'POST', path: `${R}/labels`, action: 'github.label.create', risk: 'low', description: 'Create a label.' },
  { method: 'PATCH', path: `${R}/labels/{name}`, action: 'github.label.update', risk: 'low', description: 'Edit a label.' },
  { method: 'DELETE', path: `${R}/labels/{name}`, action: 'github.label.delete', risk: 'medium', description: 'Delete a label.' },

  // Branches, tags, refs, commits
  { method: 'POST', path: `${R}/git/refs`, action: 'github.tag.create', risk: 'medium', description: 'Create a tag ref.', fields: ['ref', 'sha'], when: [{ in: 'body', field: 'ref', prefix: 'refs/tags/' }] },
  { method: 'POST', path: `${R}/git/refs`, action: 'github.branch.create', risk: 'medium', description: 'Create a branch (a ref under refs/heads/).', fields: ['ref', 'sha'] },
  { method: 'PATCH', path: `${R}/git/refs/heads/{branch+}`, action: 'github.branch.update', risk: 'high', description: 'Force-move a branch.', fields: ['sha', 'force'], when: [{ in: 'body', field: 'force', equals: true }] },
  { method: 'PATCH', path: `${R}/git/refs/heads/{branch+}`, action: 'github.branch.update', risk: 'medium', description: 'Move a branch to another commit.', fields: ['sha', 'force'] },
  { method: 'DELETE', path: `${R}/git/refs/heads/{branch+}`, action: 'github.branch.delete', risk: 'high', description: 'Delete a branch.' },
  { method: 'DELETE', path: `${R}/git/refs/tags/{tag+}`, action: 'github.tag.delete', risk: 'high', description: 'Delete a tag.' },
  { method: 'DELETE', path: `${R}/git/refs/{ref+}`, action: 'github.ref.delete', risk: 'high', description: 'Delete another ref.' },
  { method: 'GET', path: `${R}/git/ref/{ref+}`, action: 'github.ref.get', risk: 'low', description: 'Get a ref.' },
  { method: 'GET', path: `${R}/git/trees/{sha}`, action: 'github.tree.get', risk: 'low', description: 'Get a tree.' },
  { method: 'GET', path: `${R}/branches`, action: 'github.branch.list', risk: 'low', description: 'List branches.' },
  { method: 'GET', path: `${R}/branches/{branch+}`, action: 'github.branch.get', risk: 'low', description: 'Get a branch.' },
  { method: 'POST', path: `${R}/branches/{branch}/rename`, action: 'github.branch.rename', risk: 'high', description: 'Rename a branch.', fields: ['new_name'] },
  { method: 'GET', path: `${R}/branches/{branch}/protection`, action: 'github.branch.protection.get', risk: 'low', description: 'Get branch protection.' },
  { method: 'PUT', path: `${R}/branches/{branch}/protection`, action: 'github.branch.protection.update', risk: 'high', description: 'Set branch protection.' },
  { method: 'DELETE', path: `${R}/branches/{branch}/protection`, action: 'github.branch.protection.delete', risk: 'high', description: 'Remove branch protection.' },
  { method: 'POST', path: `${R}/merges`, action: 'github.branch.merge', risk: 'high', description: 'Merge one branch into another.', fields: ['base', 'head'] },
  { method: 'GET', path: `${R}/commits`, action: 'github.commit.list', risk: 'low', description: 'List commits.', fields: ['sha'] },
  { method: 'GET', path: `${R}/commits/{ref}`, action: 'github.commit.get', risk: 'low', description: 'Get a commit.' },
  { method: 'GET', path: `${R}/compare/{basehead+}`, action: 'github.commit.compare', risk: 'low', description: 'Compare two commits.' },
  { method: 'GET', path: `${R}/commits/{ref}/status`, action: 'github.status.get', risk: 'low', description: 'Combined commit status.' },
  { method: 'GET', path: `${R}/commits/{ref}/check-runs`, action: 'github.check.list', risk: 'low', description: 'List check runs for a commit.' },
  { method: 'POST', path: `${R}/statuses/{sha}`, action: 'github.status.create', risk: 'medium', description: 'Set a commit status.', fields: ['state', 'context'] },

  // Files
  { method: 'PUT', path: `${R}/contents/{path+}`, action: 'github.file.create', risk: 'medium', description: 'Create a file.', fields: ['branch', 'sha'], when: [{ in: 'body', field: 'sha', present: false }] },
  { method: 'PUT', path: `${R}/contents/{path+}`, action: 'github.file.update', risk: 'medium', description: 'Update a file (body carries the blob sha).', fields: ['branch', 'sha'] },
  { method: 'DELETE', path: `${R}/contents/{path+}`, action: 'github.file.delete', risk: 'high', description: 'Delete a file.', fields: ['branch', 'sha'] },
  { method: 'GET', path: `${R}/contents/{path+}`, action: 'github.file.get', risk: 'low', description: 'Get a file or directory.', fields: [['ref', 'branch']] },
  { method: 'GET', path: `${R}/contents`, action: 'github.file.get', risk: 'low', description: 'List the repository root.', fields: [['ref', 'branch']] },
  { method: 'GET', path: `${R}/readme`, action: 'github.file.get', risk: 'low', description: 'Get the README.', fields: [['ref', 'branch']] },

  // Releases
  { method: 'POST', path: `${R}/releases`, action: 'github.release.create', risk: 'medium', description: 'Create a release.', fields: ['tag_name', 'target_commitish', 'draft', 'prerelease'] },
  { method: 'PATCH', path: `${R}/releases/{release_id:int}`, action: 'github.release.update', risk: 'medium', description: 'Edit a release.', fields: ['tag_name', 'draft', 'prerelease'] },
  { method: 'DELETE', path: `${R}/releases/{release_id:int}`, action: 'github.release.delete', risk: 'high', description: 'Delete a release.' },
  { method: 'POST', path: `${R}/releases/{release_id:int}/assets`, action: 'github.release.asset.upload', risk: 'medium', description: 'Upload a release asset (uploads.github.com).' },
  { method: 'GET', path: `${R}/releases`, action: 'github.release.list', risk: 'low', description: 'List releases.' },
  { method: 'GET', path: `${R}/releases/{release_id:int}`, action: 'github.release.get', risk: 'low', description: 'Get a release.' },
  { method: 'GET', path: `${R}/releases/latest`, action: 'github.release.get', risk: 'low', description: 'Get the latest release.' },
  { method: 'GET', path: `${R}/releases/tags/{tag}`, action: 'github.release.get', risk: 'low', description: 'Get a release by tag.' },
];
