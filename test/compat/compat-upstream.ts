// The upstream every compatibility probe reaches through the gateway: one loopback server that stands
// for api.github.com, api.openai.com, api.anthropic.com, api.stripe.com, slack.com and an MCP server.
// It records every request (to prove injection and that the agent's dummy never arrives) and answers
// in shapes the real SDKs accept: a JSON object that is also an empty list page (`data: []`), with
// Slack's `ok: true`; JSON-RPC for MCP; an echo for WebSockets.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export interface SeenRequest {
  host: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
}

export interface CompatUpstream {
  seen: SeenRequest[];
  handler(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

const MCP_PROTOCOL = '2025-06-18';

function record(seen: SeenRequest[], req: IncomingMessage, body: string): SeenRequest {
  const entry: SeenRequest = {
    host: (req.headers.host ?? '').replace(/:\d+$/, ''),
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body,
  };
  seen.push(entry);
  return entry;
}

/** A minimal MCP server over Streamable HTTP (JSON answers, no server-sent events). */
function answerMcp(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const message = JSON.parse(body) as { id?: number; method?: string; params?: { name?: string } };
  if (message.id === undefined) {
    res.writeHead(202).end();
    return;
  }
  let result: unknown;
  if (message.method === 'initialize') {
    result = {
      protocolVersion: MCP_PROTOCOL,
      capabilities: { tools: {} },
      serverInfo: { name: 'compat-mcp', version: '1.0.0' },
    };
  } else if (message.method === 'tools/call') {
    result = { content: [{ type: 'text', text: `called ${message.params?.name}` }] };
  } else {
    result = {};
  }
  const json = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
  res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'compat-session' }).end(json);
}

function pkt(line: string): string {
  return (Buffer.byteLength(line) + 4).toString(16).padStart(4, '0') + line;
}

/**
 * git smart HTTP on github.com: a ref advertisement of an empty repository (protocol v0), enough for
 * `git ls-remote` and for `git push` to send its commands; a push is answered "ok" per ref.
 */
function answerGit(res: ServerResponse, entry: SeenRequest): boolean {
  const url = new URL(entry.url, 'https://github.com');
  const service = url.searchParams.get('service');
  if (
    url.pathname.endsWith('/info/refs') &&
    (service === 'git-upload-pack' || service === 'git-receive-pack')
  ) {
    const caps =
      service === 'git-receive-pack' ? 'report-status side-band-64k delete-refs ofs-delta' : 'ofs-delta';
    const body = `${pkt(`# service=${service}\n`)}0000${pkt(`${'0'.repeat(40)} capabilities^{}\0${caps}\n`)}0000`;
    res.writeHead(200, {
      'content-type': `application/x-${service}-advertisement`,
      'cache-control': 'no-cache',
    });
    res.end(body);
    return true;
  }
  return false;
}

export function createCompatUpstream(): CompatUpstream {
  const seen: SeenRequest[] = [];
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo:${data.toString()}`)));

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry = record(seen, req, body);
      if (entry.host === 'mcp.test') {
        answerMcp(req, res, body);
        return;
      }
      if (entry.host === 'github.com' && answerGit(res, entry)) return;
      const json = JSON.stringify({
        ok: true,
        object: 'list',
        data: [],
        has_more: false,
        upstream: entry.host,
        method: entry.method,
        url: entry.url,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    });
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    record(seen, req, '');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  }

  return { seen, handler, upgrade };
}
