// A fake api.openai.com for the official `openai` client: POST /v1/chat/completions answers with
// server-sent chat.completion.chunk events. After the first event it waits until the test says the
// client has received it, so a gateway that buffered the stream could never let the test pass: the
// proof of incremental delivery is an ordering, not a timing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import { type RunningServer, startHttpsServer, type TestCa } from './test-ca.js';

export interface SeenOpenAiRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeOpenAi {
  port: number;
  seen: SeenOpenAiRequest[];
  /** Events written to the stream so far (not counting `[DONE]`). */
  readonly written: number;
  /** Who let the stream continue past its first event: the test ('client') or the safety net. */
  readonly releasedBy: 'client' | 'safety-net' | undefined;
  /** Called by the test once the client holds the first event. */
  release(): void;
  close(): Promise<void>;
}

// Only a deadlock breaker: if the gateway buffered, the test fails on `releasedBy` instead of hanging.
const SAFETY_NET_MS = 5_000;
const BETWEEN_EVENTS_MS = 5;

export async function startFakeOpenAi(ca: TestCa, contents: string[]): Promise<FakeOpenAi> {
  const seen: SeenOpenAiRequest[] = [];
  let written = 0;
  let releasedBy: FakeOpenAi['releasedBy'];
  let releaseGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    releaseGate = resolve;
  });

  async function stream(res: ServerResponse, model: string): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (i: number) => {
      const last = i === contents.length - 1;
      const chunk = {
        id: 'chatcmpl-fake',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [
          { index: 0, delta: { content: contents[i] }, finish_reason: last ? 'stop' : null, logprobs: null },
        ],
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      written++;
    };
    event(0);
    const net = setTimeout(() => {
      releasedBy ??= 'safety-net';
      releaseGate();
    }, SAFETY_NET_MS);
    await gate;
    clearTimeout(net);
    for (let i = 1; i < contents.length; i++) {
      await new Promise((r) => setTimeout(r, BETWEEN_EVENTS_MS));
      event(i);
    }
    res.end('data: [DONE]\n\n');
  }

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake has no ${req.method} ${req.url}` } }));
        return;
      }
      const model = (JSON.parse(body) as { model?: string }).model ?? 'unknown';
      void stream(res, model);
    });
  }

  const server: RunningServer<Server> = await startHttpsServer(handler, {
    hosts: ['api.openai.com'],
    ca,
  });
  return {
    port: server.port,
    seen,
    get written() {
      return written;
    },
    get releasedBy() {
      return releasedBy;
    },
    release() {
      releasedBy ??= 'client';
      releaseGate();
    },
    close: () => server.close(),
  };
}
