// A fake upstream API for gateway tests: records what reached it (to prove injection and stripping),
// and serves the shapes a proxy must carry: JSON echo, server-sent events, a large download, a
// WebSocket echo and a body echo.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  bodyBytes: number;
}

export interface FakeUpstream {
  seen: SeenRequest[];
  handler(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Emits 'sse-closed' when an event stream served here closes (ended or cut by the peer). */
  events: EventEmitter;
}

export function createFakeUpstream(name: string): FakeUpstream {
  const seen: SeenRequest[] = [];
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${data.toString()}`));
  });
  const events = new EventEmitter();

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const entry: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
    };
    seen.push(entry);
    req.on('data', (c: Buffer) => {
      entry.bodyBytes += c.length;
    });
    if (url.pathname === '/sse') {
      const n = Number(url.searchParams.get('n') ?? '3');
      const interval = Number(url.searchParams.get('interval') ?? '50');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      let i = 0;
      const timer = setInterval(() => {
        res.write(`data: ${i}\n\n`);
        i++;
        if (n > 0 && i >= n) {
          clearInterval(timer);
          res.end();
        }
      }, interval);
      res.on('close', () => {
        clearInterval(timer);
        events.emit('sse-closed');
      });
      return;
    }
    if (url.pathname === '/hang') return; // never answers: upstream timeout tests
    if (url.pathname === '/big') {
      const total = Number(url.searchParams.get('bytes') ?? String(100 * 1024 * 1024));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const size = Math.min(chunk.length, total - sent);
          sent += size;
          if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    req.on('end', () => {
      const body = JSON.stringify({
        upstream: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodyBytes: entry.bodyBytes,
      });
      res.writeHead(url.pathname === '/missing' ? 404 : 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-upstream': name,
      });
      res.end(body);
    });
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
    });
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  }

  return { seen, handler, upgrade, events };
}
