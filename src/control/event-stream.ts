// The control plane's server-sent event streams (a gateway's configuration stream, the live
// approvals feed): the headers, a comment line every so often so that proxies and clients can tell a
// quiet stream from a dead one, and the end of every open stream before the server closes (a stream
// never ends by itself, so server.close() would otherwise wait out its grace period).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface EventStream {
  /** Writes one event (`data` as JSON unless it is a string already); nothing once the stream is gone. */
  write(event: string, data: unknown, id?: string | number): void;
  onClose(cb: () => void): void;
  readonly closed: boolean;
}

export interface EventStreams {
  /** Takes the reply over and opens the stream on it. */
  open(reply: FastifyReply): EventStream;
}

export function eventStreams(app: FastifyInstance, heartbeatMs = 15_000): EventStreams {
  const open = new Set<ServerResponse>();
  // preClose, not onClose: the server waits for open connections before onClose hooks run.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
  return {
    open(reply) {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      open.add(res);
      const gone = () => res.destroyed || res.writableEnded;
      const heartbeat = setInterval(() => {
        if (!gone()) res.write(': ping\n\n');
      }, heartbeatMs);
      heartbeat.unref();
      const closers: (() => void)[] = [];
      res.on('close', () => {
        clearInterval(heartbeat);
        open.delete(res);
        for (const cb of closers) cb();
      });
      return {
        write(event, data, id) {
          if (gone()) return;
          const text = typeof data === 'string' ? data : JSON.stringify(data);
          res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${text}\n\n`);
        },
        onClose: (cb) => closers.push(cb),
        get closed() {
          return gone();
        },
      };
    },
  };
}
