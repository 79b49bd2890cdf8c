// Slack Web API (`https://slack.com/api/<method>`). Arguments may arrive in the query string, a
// form body or a JSON body; Slack merges them, so we read both. When the query and the body name
// different values for a field we extract (channel, user), the body's value is reported and the
// field is listed in `param_conflict`, so a policy can refuse the ambiguity instead of trusting
// whichever copy Slack happens to use.
import { unknownAction } from './action-name.js';
import { bodyObject, isMultipart, parseBody, scalar, setOwn } from './body.js';
import { pathSegments } from './path-segments.js';
import { guardedBodyAnswer, guardedMap } from './rest-mapper.js';
import { SLACK_ROWS, slackMethod } from './slack-methods.js';
import type { ActionMatch, ActionSpec, ConnectorRequest, ConnectorType } from './types.js';

/** Extracted for every method: [field, param]. `channel_id` is how the upload API names a channel. */
const FIELDS: readonly (readonly [string, string])[] = [
  ['channel', 'channel'],
  ['channel_id', 'channel'],
  ['user', 'user'],
  ['users', 'users'],
];

function apiMethod(path: string): string | undefined {
  const segs = pathSegments(path);
  return segs && segs.length === 2 && segs[0]!.toLowerCase() === 'api' ? segs[1] : undefined;
}

function extract(source: Record<string, unknown>, into: Record<string, unknown>): void {
  for (const [from, to] of FIELDS) {
    if (!Object.hasOwn(source, from)) continue;
    const v = scalar(source[from]);
    if (v !== undefined) setOwn(into, to, v);
  }
}

function fromQuery(query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of query) setOwn(out, k, v);
  return out;
}

function map(req: ConnectorRequest): ActionMatch {
  const segs = pathSegments(req.path);
  if (segs && segs.length >= 2 && segs[0]!.toLowerCase() === 'services') {
    return req.method === 'POST'
      ? { action: 'slack.webhook.send', params: {}, risk: 'medium' }
      : unknownAction('slack', req.method);
  }
  const name = apiMethod(req.path);
  const method = name === undefined ? undefined : slackMethod(name);
  if (name === undefined || method === undefined) {
    const params: Record<string, unknown> = {};
    if (name !== undefined) params['method'] = name.slice(0, 128);
    return unknownAction('slack', req.method, params);
  }
  const params: Record<string, unknown> = {};
  const query: Record<string, unknown> = {};
  extract(fromQuery(req.query), query);
  const body: Record<string, unknown> = {};
  if (req.body !== undefined && req.body.length > 0) {
    const parsed = bodyObject(parseBody(req, 'auto'));
    if ('error' in parsed) params['body_error'] = parsed.error;
    else extract(parsed.fields, body);
  }
  const conflicts: string[] = [];
  for (const key of Object.keys(query)) {
    if (Object.hasOwn(body, key) && body[key] !== query[key]) conflicts.push(key);
  }
  // With an unreadable body the query values are not trustworthy either: the body may override them.
  Object.assign(params, params['body_error'] ? {} : query, body);
  if (conflicts.length > 0) params['param_conflict'] = conflicts;
  return { action: method.action, params, risk: method.risk };
}

function catalogue(): ActionSpec[] {
  const rows: ActionSpec[] = SLACK_ROWS.map(([m, action, risk, description]) => ({
    action,
    method: 'POST',
    path: `/api/${m}`,
    risk,
    params: ['channel', 'user', 'users'],
    description,
  }));
  rows.push(
    {
      action: 'slack.admin.{method}',
      method: 'POST',
      path: '/api/admin.*',
      risk: 'high',
      params: ['channel', 'user', 'users'],
      description: 'Any other admin method, by name (admin.users.list → slack.admin.users.list).',
    },
    {
      action: 'slack.webhook.send',
      method: 'POST',
      path: '/services/{path}',
      risk: 'medium',
      params: [],
      description: 'Incoming webhook (when hooks.slack.com is added to the domains).',
    },
  );
  return rows;
}

export const slackConnector: ConnectorType = {
  type: 'slack',
  title: 'Slack',
  defaultDomains: () => ['slack.com', 'api.slack.com'],
  defaultAuth: 'bearer',
  credentialHeaders: ['authorization'],
  maxBodyBytes: 1024 * 1024,
  wantsBody: (req) =>
    guardedBodyAnswer(
      true,
      () =>
        req.method !== 'GET' &&
        req.method !== 'HEAD' &&
        !isMultipart(req.headers) &&
        apiMethod(req.path) !== undefined,
    ),
  map: (req) => guardedMap('slack.http', req, () => map(req)),
  catalogue: catalogue(),
  docs: {
    parameters: [
      'channel (also from channel_id), user, users: from the query string and the form or JSON body',
      'param_conflict: the fields whose query and body values differ (the body value is reported)',
      'method: the API method name, on `slack.http.*` for methods not in the table',
    ],
    notes: [
      'The action depends on the API method, whatever the HTTP verb: `GET /api/chat.postMessage` is slack.message.send.',
      'Every `admin.*` method is high risk; unlisted ones map to `slack.admin.<parts in snake_case>`.',
      'Agents must send the token in `Authorization` (all Slack SDKs do): a `token` form field is not replaced.',
      'Multipart uploads (legacy files.upload) are not read: channel is then unknown.',
    ],
  },
};
