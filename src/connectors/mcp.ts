// MCP over Streamable HTTP: the client POSTs JSON-RPC 2.0 messages (one, or a batch) to the
// server's endpoint, GETs it to open an event stream, DELETEs it to end the session. The action
// comes from the message: `tools/call` → `mcp.tools.<tool>` with the tool's arguments as params,
// `tools/list` → `mcp.tools.list`, any other method → `mcp.rpc.<method, / as _>`.
//
// A batch is one HTTP request carrying several calls, and the decision is made once per request,
// so it is judged by its riskiest message (first one on ties): its action and params are reported,
// and `batch_actions` lists every message's action. Policies that must see every call should deny
// batches (`params.batch_size gt 1`).
import { methodRisk, riskRank, toActionSegment, unknownAction } from './action-name.js';
import { boundValue, headerValue, isMultipart, parseBody, setOwn } from './body.js';
import { mcpDenialAnswer } from './mcp-denial.js';
import { toolRisk } from './mcp-risk.js';
import { guardedBodyAnswer, guardedMap } from './rest-mapper.js';
import type {
  ActionMatch,
  ActionSpec,
  ConnectorOptions,
  ConnectorRequest,
  ConnectorType,
  Risk,
} from './types.js';

const MAX_BATCH = 100;

// biome-ignore format: one method per line reads as a table
const RPC: ReadonlyArray<readonly [method: string, risk: Risk, description: string]> = [
  ['initialize', 'low', 'Start a session.'],
  ['ping', 'low', 'Liveness check.'],
  ['notifications/initialized', 'low', 'Client finished initialising.'],
  ['notifications/cancelled', 'low', 'Cancel a request.'],
  ['resources/list', 'low', 'List resources.'],
  ['resources/templates/list', 'low', 'List resource templates.'],
  ['resources/read', 'low', 'Read a resource (param uri).'],
  ['resources/subscribe', 'low', 'Subscribe to a resource.'],
  ['resources/unsubscribe', 'low', 'Unsubscribe from a resource.'],
  ['prompts/list', 'low', 'List prompts.'],
  ['prompts/get', 'low', 'Get a prompt (param name).'],
  ['completion/complete', 'low', 'Argument completion.'],
  ['logging/setLevel', 'low', 'Set the server log level.'],
];
const RPC_RISK = new Map(RPC.map(([m, r]) => [m, r]));

const rpcAction = (method: string) => `mcp.rpc.${toActionSegment(method.replace(/\//g, '_'))}`;

/** The tool segment; a tool literally named `list` must not pose as `mcp.tools.list` (tools/list). */
function toolAction(name: string): string {
  const seg = toActionSegment(name);
  return `mcp.tools.${seg === 'list' ? 'list_tool' : seg}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One JSON-RPC message, or undefined when it is not one. */
function mapMessage(msg: unknown, options: ConnectorOptions): ActionMatch | undefined {
  if (!isObject(msg)) return undefined;
  const method = msg['method'];
  if (typeof method !== 'string') {
    const isResponse =
      Object.hasOwn(msg, 'id') && (Object.hasOwn(msg, 'result') || Object.hasOwn(msg, 'error'));
    return isResponse ? { action: 'mcp.rpc.response', params: {}, risk: 'low' } : undefined;
  }
  const p = isObject(msg['params']) ? msg['params'] : {};
  if (method === 'tools/call') {
    const name = p['name'];
    if (typeof name !== 'string' || name === '') return undefined;
    const params: Record<string, unknown> = {};
    const args = boundValue(p['arguments']);
    if (isObject(args)) for (const k of Object.keys(args)) setOwn(params, k, args[k]);
    else if (args !== undefined) params['arguments'] = args;
    params['tool'] = name.slice(0, 256);
    return { action: toolAction(name), params, risk: toolRisk(name, options.extra) };
  }
  if (method === 'tools/list') return { action: 'mcp.tools.list', params: {}, risk: 'low' };
  const params: Record<string, unknown> = {};
  if (typeof p['uri'] === 'string') params['uri'] = p['uri'].slice(0, 2048);
  if (typeof p['name'] === 'string') params['name'] = p['name'].slice(0, 256);
  return { action: rpcAction(method), params, risk: RPC_RISK.get(method) ?? 'medium' };
}

function bodyError(method: string, error: string): ActionMatch {
  return unknownAction('mcp', method, { body_error: error });
}

function mapPost(req: ConnectorRequest, options: ConnectorOptions): ActionMatch {
  const parsed = parseBody(req, 'json');
  if (!parsed.ok) return bodyError(req.method, parsed.error);
  const body = parsed.value;
  if (!Array.isArray(body)) return mapMessage(body, options) ?? bodyError(req.method, 'invalid_jsonrpc');
  if (body.length === 0) return bodyError(req.method, 'empty_batch');
  if (body.length > MAX_BATCH) return bodyError(req.method, 'batch_too_large');
  const all: ActionMatch[] = [];
  for (const msg of body) {
    const m = mapMessage(msg, options);
    if (!m) return bodyError(req.method, 'invalid_jsonrpc');
    all.push(m);
  }
  let top = all[0]!;
  for (const m of all) if (riskRank(m.risk) > riskRank(top.risk)) top = m;
  const params = { ...top.params, batch_size: all.length, batch_actions: all.map((m) => m.action) };
  return { action: top.action, params, risk: top.risk };
}

function map(req: ConnectorRequest, options: ConnectorOptions): ActionMatch {
  if (req.method === 'POST') return mapPost(req, options);
  if (req.method === 'GET' && (headerValue(req.headers, 'accept') ?? '').includes('text/event-stream')) {
    return { action: 'mcp.stream.open', params: {}, risk: 'low' };
  }
  if (req.method === 'DELETE') return { action: 'mcp.session.close', params: {}, risk: 'low' };
  return {
    action: `mcp.http.${toActionSegment(req.method, 'unknown')}`,
    params: {},
    risk: methodRisk(req.method),
  };
}

function catalogue(): ActionSpec[] {
  const row = (
    action: string,
    method: string,
    risk: Risk,
    params: string[],
    description: string,
  ): ActionSpec => ({
    action,
    method,
    path: '(endpoint)',
    risk,
    params,
    description,
  });
  return [
    row(
      'mcp.tools.{tool}',
      'JSON-RPC tools/call',
      'medium',
      ['tool', '(arguments)'],
      'Call a tool; risk from the tool name or `toolRisk`.',
    ),
    row('mcp.tools.list', 'JSON-RPC tools/list', 'low', [], 'List tools.'),
    ...RPC.map(([m, risk, d]) =>
      row(
        rpcAction(m),
        `JSON-RPC ${m}`,
        risk,
        m.startsWith('resources/read') ? ['uri'] : m === 'prompts/get' ? ['name'] : [],
        d,
      ),
    ),
    row('mcp.rpc.{method}', 'JSON-RPC (other)', 'medium', [], 'Any other method, `/` as `_`, snake_case.'),
    row(
      'mcp.rpc.response',
      'JSON-RPC response',
      'low',
      [],
      'A response the client sends back (sampling, elicitation).',
    ),
    row('mcp.stream.open', 'GET', 'low', [], 'Open the server-to-client event stream.'),
    row('mcp.session.close', 'DELETE', 'low', [], 'End the session.'),
  ];
}

export const mcpConnector: ConnectorType = {
  type: 'mcp',
  title: 'MCP (Streamable HTTP)',
  defaultDomains: () => [],
  defaultAuth: 'bearer',
  credentialHeaders: ['authorization'],
  maxBodyBytes: 4 * 1024 * 1024,
  wantsBody: (req) => guardedBodyAnswer(true, () => req.method === 'POST' && !isMultipart(req.headers)),
  map: (req, options) => guardedMap('mcp.http', req, () => map(req, options)),
  catalogue: catalogue(),
  denialAnswer: mcpDenialAnswer,
  docs: {
    parameters: [
      'tools/call: tool (the name as sent) and every top-level argument (bounded: 6 levels, 64 keys, 2,048 characters per string)',
      'resources/read: uri; prompts/get: name',
      'batches: batch_size and batch_actions, plus the params of the riskiest message',
    ],
    notes: [
      'Tool risk: a name with delete/remove/drop/exec/run/deploy/merge/... is high, create/send/write/update/... medium, read/get/list/search/... low, anything else medium. `extra.toolRisk` ({"tool": "low", "*": "medium"}) overrides.',
      'A batch maps to its riskiest message (first on ties); every action is in `batch_actions`.',
      'Tool names are made action-safe (snake_case, [a-z0-9_]); a tool named `list` is `mcp.tools.list_tool`.',
      'A body that is not JSON-RPC, an empty batch or more than 100 messages is `mcp.http.post` with `body_error`.',
      'A refused request is answered as a JSON-RPC error (HTTP 200, code -32003, the problem document in `data`) so that the client reports the denial on the call; a refused notification or stream gets problem+json.',
    ],
  },
};
