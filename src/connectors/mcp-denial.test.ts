import { describe, expect, it } from 'vitest';
import { MCP_DENIED_ERROR, mcpDenialAnswer } from './mcp-denial.js';
import type { ConnectorRequest } from './types.js';

const problem = { status: 403, code: 'permission_denied', detail: 'no permission', request_id: 'r1' };
const REASON = 'Denied by TameFlare: mcp.tools.drop (permission_denied)';

function post(body: unknown, extra: Partial<ConnectorRequest> = {}): ConnectorRequest {
  return {
    method: 'POST',
    host: 'mcp.test',
    port: 443,
    path: '/mcp',
    query: new URLSearchParams(),
    headers: {},
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    ...extra,
  };
}

describe('mcpDenialAnswer', () => {
  it('answers a request with a JSON-RPC error carrying the problem, as HTTP 200', () => {
    const a = mcpDenialAnswer(post({ jsonrpc: '2.0', id: 7, method: 'tools/call' }), problem, REASON);
    expect(a?.status).toBe(200);
    expect(JSON.parse(String(a?.body))).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: MCP_DENIED_ERROR, message: `${REASON}: no permission`, data: problem },
    });
  });

  it('answers each request of a batch and none of its notifications', () => {
    const a = mcpDenialAnswer(
      post([
        { jsonrpc: '2.0', id: 'a', method: 'tools/call' },
        { jsonrpc: '2.0', method: 'notifications/cancelled' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      ]),
      problem,
      REASON,
    );
    expect((JSON.parse(String(a?.body)) as Array<{ id: unknown }>).map((m) => m.id)).toEqual(['a', 2]);
  });

  it('leaves notifications, non-JSON, truncated bodies and GETs to problem+json', () => {
    expect(
      mcpDenialAnswer(post({ jsonrpc: '2.0', method: 'notifications/initialized' }), problem, REASON),
    ).toBe(undefined);
    expect(mcpDenialAnswer(post('not json'), problem, REASON)).toBe(undefined);
    expect(mcpDenialAnswer(post({ id: 1, method: 'x' }, { bodyTruncated: true }), problem, REASON)).toBe(
      undefined,
    );
    expect(mcpDenialAnswer(post({ id: 1, method: 'x' }, { method: 'GET' }), problem, REASON)).toBe(undefined);
  });
});
