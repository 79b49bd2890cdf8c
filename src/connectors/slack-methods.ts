// Slack Web API methods (`/api/<method>` on slack.com) and their actions. Slack decides by the
// method name, not the HTTP verb (GET /api/chat.postMessage?channel=C&text=hi posts), so the table
// is keyed by method. Every admin.* method is high risk; those not listed still map, by name.
import { toActionSegment } from './action-name.js';
import type { Risk } from './types.js';

export interface SlackMethod {
  action: string;
  risk: Risk;
  description: string;
}

type Row = readonly [method: string, action: string, risk: Risk, description: string];

// biome-ignore format: one method per line reads as a table
const ROWS: readonly Row[] = [
  ['chat.postMessage', 'slack.message.send', 'medium', 'Post a message.'],
  ['chat.meMessage', 'slack.message.send', 'medium', 'Post a /me message.'],
  ['chat.postEphemeral', 'slack.message.send_ephemeral', 'low', 'Post a message only one user sees.'],
  ['chat.update', 'slack.message.update', 'medium', 'Edit a message.'],
  ['chat.delete', 'slack.message.delete', 'medium', 'Delete a message.'],
  ['chat.scheduleMessage', 'slack.message.schedule', 'medium', 'Schedule a message.'],
  ['chat.deleteScheduledMessage', 'slack.message.unschedule', 'low', 'Delete a scheduled message.'],
  ['chat.scheduledMessages.list', 'slack.message.scheduled_list', 'low', 'List scheduled messages.'],
  ['chat.getPermalink', 'slack.message.permalink', 'low', 'Get a message permalink.'],
  ['conversations.create', 'slack.channel.create', 'medium', 'Create a channel.'],
  ['conversations.archive', 'slack.channel.archive', 'high', 'Archive a channel.'],
  ['conversations.unarchive', 'slack.channel.unarchive', 'medium', 'Unarchive a channel.'],
  ['conversations.invite', 'slack.channel.invite', 'medium', 'Invite users to a channel.'],
  ['conversations.kick', 'slack.channel.kick', 'high', 'Remove a user from a channel.'],
  ['conversations.rename', 'slack.channel.rename', 'medium', 'Rename a channel.'],
  ['conversations.setTopic', 'slack.channel.set_topic', 'low', 'Set the channel topic.'],
  ['conversations.setPurpose', 'slack.channel.set_purpose', 'low', 'Set the channel purpose.'],
  ['conversations.join', 'slack.channel.join', 'low', 'Join a channel.'],
  ['conversations.leave', 'slack.channel.leave', 'low', 'Leave a channel.'],
  ['conversations.history', 'slack.channel.history', 'low', 'Read channel messages.'],
  ['conversations.replies', 'slack.channel.replies', 'low', 'Read a thread.'],
  ['conversations.list', 'slack.channel.list', 'low', 'List channels.'],
  ['conversations.info', 'slack.channel.info', 'low', 'Get channel info.'],
  ['conversations.members', 'slack.channel.members', 'low', 'List channel members.'],
  ['conversations.open', 'slack.conversation.open', 'low', 'Open a direct message.'],
  ['conversations.close', 'slack.conversation.close', 'low', 'Close a direct message.'],
  ['files.upload', 'slack.file.upload', 'medium', 'Upload a file (legacy).'],
  ['files.getUploadURLExternal', 'slack.file.upload', 'medium', 'Start a file upload.'],
  ['files.completeUploadExternal', 'slack.file.upload', 'medium', 'Finish an upload and share the file.'],
  ['files.list', 'slack.file.list', 'low', 'List files.'],
  ['files.info', 'slack.file.info', 'low', 'Get file info.'],
  ['files.delete', 'slack.file.delete', 'medium', 'Delete a file.'],
  ['files.sharedPublicURL', 'slack.file.share_public', 'high', 'Make a file public on the internet.'],
  ['files.revokePublicURL', 'slack.file.revoke_public', 'low', 'Revoke a public file URL.'],
  ['reactions.add', 'slack.reaction.add', 'low', 'Add a reaction.'],
  ['reactions.remove', 'slack.reaction.remove', 'low', 'Remove a reaction.'],
  ['reactions.get', 'slack.reaction.get', 'low', 'Get reactions of an item.'],
  ['pins.add', 'slack.pin.add', 'low', 'Pin a message.'],
  ['pins.remove', 'slack.pin.remove', 'low', 'Unpin a message.'],
  ['pins.list', 'slack.pin.list', 'low', 'List pins.'],
  ['bookmarks.add', 'slack.bookmark.add', 'low', 'Add a channel bookmark.'],
  ['reminders.add', 'slack.reminder.add', 'low', 'Create a reminder.'],
  ['users.list', 'slack.user.list', 'low', 'List users.'],
  ['users.info', 'slack.user.info', 'low', 'Get user info.'],
  ['users.lookupByEmail', 'slack.user.lookup', 'low', 'Find a user by email.'],
  ['users.getPresence', 'slack.user.presence', 'low', 'Get user presence.'],
  ['users.conversations', 'slack.user.conversations', 'low', "List a user's conversations."],
  ['users.profile.get', 'slack.user.profile.get', 'low', 'Get a profile.'],
  ['users.profile.set', 'slack.user.profile.set', 'medium', 'Set a profile.'],
  ['usergroups.create', 'slack.usergroup.create', 'medium', 'Create a user group.'],
  ['usergroups.update', 'slack.usergroup.update', 'medium', 'Update a user group.'],
  ['usergroups.disable', 'slack.usergroup.disable', 'medium', 'Disable a user group.'],
  ['usergroups.enable', 'slack.usergroup.enable', 'low', 'Enable a user group.'],
  ['usergroups.list', 'slack.usergroup.list', 'low', 'List user groups.'],
  ['usergroups.users.list', 'slack.usergroup.users.list', 'low', 'List members of a user group.'],
  ['usergroups.users.update', 'slack.usergroup.users.update', 'medium', 'Replace members of a user group.'],
  ['search.messages', 'slack.search.messages', 'low', 'Search messages.'],
  ['search.all', 'slack.search.all', 'low', 'Search messages and files.'],
  ['views.open', 'slack.view.open', 'low', 'Open a modal.'],
  ['views.publish', 'slack.view.publish', 'low', 'Publish an App Home view.'],
  ['auth.test', 'slack.auth.test', 'low', 'Check the token.'],
  ['auth.revoke', 'slack.auth.revoke', 'medium', 'Revoke the token.'],
  ['team.info', 'slack.team.info', 'low', 'Get workspace info.'],
  ['admin.users.invite', adminAction('admin.users.invite'), 'high', 'Invite a user to the workspace.'],
  ['admin.users.remove', adminAction('admin.users.remove'), 'high', 'Remove a user from the workspace.'],
  ['admin.users.setAdmin', adminAction('admin.users.setAdmin'), 'high', 'Make a user an admin.'],
  ['admin.users.session.reset', adminAction('admin.users.session.reset'), 'high', "Sign a user out everywhere."],
  ['admin.conversations.archive', adminAction('admin.conversations.archive'), 'high', 'Archive any channel.'],
  ['admin.conversations.delete', adminAction('admin.conversations.delete'), 'high', 'Delete a channel.'],
  ['admin.apps.approve', adminAction('admin.apps.approve'), 'high', 'Approve an app install.'],
  ['admin.teams.create', adminAction('admin.teams.create'), 'high', 'Create a workspace.'],
];

/** `admin.users.setAdmin` → `slack.admin.users.set_admin`: each dotted part becomes one segment. */
export function adminAction(method: string): string {
  const parts = method
    .split('.')
    .slice(1, 6)
    .map((p) => toActionSegment(p, 'x'));
  return ['slack', 'admin', ...(parts.length > 0 ? parts : ['unnamed'])].join('.');
}

export const SLACK_METHODS: ReadonlyMap<string, SlackMethod> = new Map(
  ROWS.map(([m, action, risk, description]) => [m, { action, risk, description }]),
);

// Slack method names are case-sensitive upstream, but a case variant that Slack would reject is
// still better named than left unknown.
const LOWER: ReadonlyMap<string, SlackMethod> = new Map(
  ROWS.map(([m, action, risk, description]) => [m.toLowerCase(), { action, risk, description }]),
);

export function slackMethod(name: string): SlackMethod | undefined {
  const exact = SLACK_METHODS.get(name) ?? LOWER.get(name.toLowerCase());
  if (exact) return exact;
  if (name.length <= 200 && /^admin\.[A-Za-z0-9_.]+$/.test(name)) {
    return { action: adminAction(name), risk: 'high', description: 'Admin method.' };
  }
  return undefined;
}

export const SLACK_ROWS = ROWS;
