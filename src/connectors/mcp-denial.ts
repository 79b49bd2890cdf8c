// A refused MCP request answered as JSON-RPC: MCP clients treat any HTTP error status as a broken
// transport ("Error POSTing to endpoint (HTTP 403)"), so a denied tool call would look like a dead
// server. A JSON-RPC error response with HTTP 200 is what the Streamable HTTP transport expects for a
// request that failed: the client's call rejects with our message, and `data` carries the whole
// problem document (stable `code`, `request_id`...). Notifications have no id to answer: they, and
// bodies that are not JSON-RPC requests, keep the problem+json answer.
import type { ConnectorRequest, DenialAnswer, DeniedProblem } from './types.js';

/** In the implementation-defined server error range (-32000..-32099); the SDKs use -32000/-32001. */
export const MCP_DENIED_ERROR = -32003;

function requestIds(body: unknown): unknown[] {
  const messages = Array.isArray(body) ? body : [body];
  const ids: unknown[] = [];
  for (const m of messages) {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) continue;
    const msg = m as Record<string, unknown>;
    const id = msg['id'];
    if (typeof msg['method'] === 'string' && (typeof id === 'string' || typeof id === 'number')) ids.push(id);
  }
  return ids;
}

export function mcpDenialAnswer(
  req: ConnectorRequest,
  problem: DeniedProblem,
  reason: string,
): DenialAnswer | undefined {
  if (req.method !== 'POST' || req.body === undefined || req.bodyTruncated) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    return undefined;
  }
  const ids = requestIds(parsed);
  if (ids.length === 0) return undefined;
  const error = { code: MCP_DENIED_ERROR, message: `${reason}: ${problem.detail}`, data: problem };
  const answers = ids.map((id) => ({ jsonrpc: '2.0', id, error }));
  const body = JSON.stringify(Array.isArray(parsed) ? answers : answers[0]);
  return { status: 200, contentType: 'application/json; charset=utf-8', body };
}
