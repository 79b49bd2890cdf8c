// The gateway's side of the link to its control plane. It keeps a live configuration stream open
// (reconnecting with backoff) and ships the durable outbox in order. Nothing here is needed for the
// gateway to run: with the control plane down, the gateway keeps its cached snapshot and its outbox
// simply grows until the link is back (SPEC 8, the seed's independence table).
import type { Logger } from 'pino';
import type { Secret } from '../config/secret.js';
import {
  GATEWAY_EVENTS_PATH,
  GATEWAY_STREAM_PATH,
  type OutboxAck,
  type OutboxBatch,
  type OutboxEvent,
} from './outbox-event.js';
import type { GatewayConfigSnapshot } from './snapshot.js';

/** The gateway's outbox; read and acknowledged off the event loop (the gateway's writer thread). */
export interface OutboxPort {
  pending(limit: number): Promise<OutboxEvent[]>;
  /** Takes effect at once (never returned again); deleted from gateway.db with the next commit. */
  acknowledge(uptoId: number): void;
  onAppend(cb: () => void): void;
}

export interface GatewaySyncDeps {
  controlPlaneUrl: string;
  serviceToken: Secret;
  gatewayName: string;
  version: string;
  /** Extra headers on the stream request (the gateway's CA fingerprint: gateway-registration.ts). */
  streamHeaders?: Record<string, string> | undefined;
  applySnapshot(s: GatewayConfigSnapshot): Promise<void>;
  /** Other events on the stream (approval decisions: see approval-messages.ts). */
  onEvent?: ((event: string, data: string) => void) | undefined;
  outbox: OutboxPort;
  /**
   * Where outbox batches go. By default `POST /internal/gateway/events` on the control plane; a
   * gateway in the control plane's own process (`--role=all`) hands them to its intake directly.
   */
  deliver?: ((batch: OutboxBatch) => Promise<OutboxAck>) | undefined;
  logger: Logger;
  minRetryMs?: number | undefined;
  maxRetryMs?: number | undefined;
  batchSize?: number | undefined;
}

export interface SyncState {
  connected: boolean;
  lastSnapshotVersion: number | null;
  lastError: string | null;
  lastContactAt: string | null;
  eventsShipped: number;
}

export interface GatewaySync {
  state(): SyncState;
  /** Ships what is pending now (used on shutdown, best effort). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function startGatewaySync(deps: GatewaySyncDeps): GatewaySync {
  const log = deps.logger;
  const minRetry = deps.minRetryMs ?? 500;
  const maxRetry = deps.maxRetryMs ?? 15_000;
  // Small batches: the control plane parses and records each one on its event loop (shared with
  // this gateway in --role=all), so a batch must not hold that loop for long.
  const batchSize = deps.batchSize ?? 100;
  const base = deps.controlPlaneUrl.replace(/\/+$/, '');
  const auth = { authorization: `Bearer ${deps.serviceToken.reveal()}` };
  const state: SyncState = {
    connected: false,
    lastSnapshotVersion: null,
    lastError: null,
    lastContactAt: null,
    eventsShipped: 0,
  };
  let closed = false;
  const streamAbort = new AbortController();
  const backoff = (attempt: number) =>
    Math.min(maxRetry, minRetry * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      streamAbort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });

  async function streamLoop(): Promise<void> {
    let attempt = 0;
    while (!closed) {
      try {
        const url = `${base}${GATEWAY_STREAM_PATH}?gateway=${encodeURIComponent(deps.gatewayName)}&version=${encodeURIComponent(deps.version)}`;
        const res = await fetch(url, {
          headers: { ...deps.streamHeaders, ...auth, accept: 'text/event-stream' },
          signal: streamAbort.signal,
        });
        if (!res.ok || !res.body) throw new Error(`stream answered HTTP ${res.status}`);
        state.connected = true;
        state.lastError = null;
        attempt = 0;
        log.info({ controlPlane: base }, 'configuration stream connected');
        void shipSoon();
        await readEvents(res.body, async (event, data) => {
          state.lastContactAt = new Date().toISOString();
          if (event !== 'snapshot') {
            if (event !== 'ping') deps.onEvent?.(event, data);
            return;
          }
          const snapshot = JSON.parse(data) as GatewayConfigSnapshot;
          await deps.applySnapshot(snapshot);
          state.lastSnapshotVersion = snapshot.version;
        });
        if (!closed) throw new Error('stream ended');
      } catch (err) {
        if (closed) break;
        state.lastError = (err as Error).message;
        if (state.connected)
          log.warn(
            { err: state.lastError },
            'configuration stream lost; running on the cached configuration',
          );
        state.connected = false;
        await sleep(backoff(attempt++));
      }
    }
    state.connected = false;
  }

  const deliver =
    deps.deliver ??
    (async (batch: OutboxBatch): Promise<OutboxAck> => {
      const res = await fetch(`${base}${GATEWAY_EVENTS_PATH}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(15_000),
      });
      if (!res.ok) throw new Error(`event intake answered HTTP ${res.status}`);
      return (await res.json()) as OutboxAck;
    });

  let shipping: Promise<void> | undefined;
  let again = false;
  let shipAttempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  async function shipOnce(): Promise<boolean> {
    for (;;) {
      const batch = await deps.outbox.pending(batchSize);
      if (batch.length === 0) return true;
      const { acknowledged } = await deliver({ gateway: deps.gatewayName, events: batch });
      deps.outbox.acknowledge(acknowledged);
      state.eventsShipped += batch.filter((e) => e.id <= acknowledged).length;
      state.lastContactAt = new Date().toISOString();
      if (acknowledged < batch[batch.length - 1]!.id)
        throw new Error('the control plane acknowledged less than it was sent');
    }
  }

  function shipSoon(): Promise<void> {
    if (closed) return Promise.resolve();
    if (shipping) {
      again = true;
      return shipping;
    }
    shipping = (async () => {
      do {
        again = false;
        try {
          await shipOnce();
          shipAttempt = 0;
        } catch (err) {
          state.lastError = (err as Error).message;
          if (!closed && retryTimer === undefined) {
            retryTimer = setTimeout(() => {
              retryTimer = undefined;
              void shipSoon();
            }, backoff(shipAttempt++));
            retryTimer.unref();
          }
          break;
        }
      } while (again && !closed);
    })().finally(() => {
      shipping = undefined;
    });
    return shipping;
  }

  deps.outbox.onAppend(() => void shipSoon());
  const loop = streamLoop();
  void shipSoon();

  return {
    state: () => ({ ...state }),
    async flush() {
      try {
        await shipSoon();
        await shipOnce();
      } catch {
        // best effort: what is not shipped stays in the outbox for next time
      }
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      streamAbort.abort();
      await loop.catch(() => undefined);
      await shipping?.catch(() => undefined);
    },
  };
}

/** Parses a server-sent event stream, calling `onEvent` for each complete event, in order. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string, data: string) => Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end < 0) break;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) await onEvent(event, data.join('\n'));
      else if (event === 'message') await onEvent('ping', '');
    }
  }
}
