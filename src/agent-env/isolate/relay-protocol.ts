// What the bridge (inside the namespaces) and the relay (outside, in `tameflare run`) say to each
// other over the relay's Unix socket. Each connection starts with one JSON line from the bridge:
// `control` (exactly one, the first: configuration in, events out) or `tunnel` (one per connection
// the agent made, followed by raw bytes both ways).
//
// The relay trusts nothing it did not send: the agent runs as the same user and can reach the socket
// too. That gains it nothing (the relay only ever acts as this agent, through the gateway), but it
// means every message is validated and a second `control` is refused.
import type { Socket } from 'node:net';

/** The environment and command the bridge starts, sent by the relay on the control connection. */
export interface BridgeConfig {
  t: 'config';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** The caller's ids: the child runs as them, in a user namespace nested in the bridge's. */
  uid: number;
  gid: number;
  tools: { ip: string; mount: string; unshare: string };
  /** A resolv.conf naming 127.0.0.1, mounted over /etc/resolv.conf. */
  resolvConf: string;
  /** The data directory, covered by a read-only tmpfs with only its public certificates. */
  dataDir: string;
  /** Port of the HTTP listener the child's proxy variables point at. */
  httpPort: number;
  pollMs: number;
}

export type BypassProtocol = 'tcp' | 'udp';

export interface BypassMessage {
  t: 'bypass';
  protocol: BypassProtocol;
  count: number;
  /** `host:port` when the bridge saw it; null for attempts only the kernel counters saw. */
  destination: string | null;
  detail: string;
}

/** Bridge → relay on the control connection. */
export type BridgeEvent =
  | { t: 'ready' }
  | { t: 'exit'; code: number | null; signal: string | null }
  /** Nothing was started: the command cannot be (`command`, reported as a plain `run` would) or isolation failed. */
  | { t: 'fail'; about: 'command' | 'isolation'; reason: string; exitCode: number }
  | BypassMessage;

/** Relay → bridge on the control connection. */
export type RelayCommand = BridgeConfig | { t: 'signal'; signal: string };

/** How the relay hands the gateway's answer to a CONNECT back to the agent's connection. */
export type TunnelAnswer =
  /** The agent sent CONNECT itself: it gets the gateway's answer as is. */
  | 'proxy'
  /** The agent speaks plain HTTP: a refusal is an HTTP response it can read, a 200 is dropped. */
  | 'http'
  /** The agent speaks TLS: a 200 is dropped, a refusal closes the connection (it cannot read one). */
  | 'tls';

export type StreamHeader =
  | { t: 'control'; v: 1 }
  | { t: 'tunnel'; host: string; port: number; answer: TunnelAnswer };

export const MAX_LINE_BYTES = 1024 * 1024;
/** The relay socket's directory is named so; the bridge removes it if `run` dies without doing so. */
export const PRIVATE_DIR_PREFIX = 'tameflare-isolate-';

/**
 * Reads newline-delimited JSON from `socket`, calling `onMessage` for each line. Stops (and destroys
 * the socket) on a line that is too long or not JSON.
 */
export function readJsonLines(socket: Socket, onMessage: (message: unknown) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      onMessage(message);
    }
    if (pending.length > MAX_LINE_BYTES) socket.destroy();
  });
}

export function writeJsonLine(socket: Socket, message: object): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}

/**
 * Reads bytes until `complete(buffered)` says the prefix is whole (returns its length), then hands
 * back the buffered bytes with the socket paused. Rejects on close, error or more than `max` bytes.
 */
export function readPrefix(
  socket: Socket,
  complete: (buffered: Buffer) => number | undefined,
  max: number,
): Promise<{ prefixLength: number; buffered: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const length = complete(buffered);
      if (length !== undefined) {
        cleanup();
        socket.pause();
        resolve({ prefixLength: length, buffered });
      } else if (buffered.length > max) {
        cleanup();
        reject(new Error('prefix too long'));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('closed before the prefix was complete'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}

/** Length of the first line including its `\n`, once it is there. */
export function lineLength(buffered: Buffer): number | undefined {
  const nl = buffered.indexOf(0x0a);
  return nl < 0 ? undefined : nl + 1;
}

/** Validates a tunnel header from the bridge (or from the agent, which can reach the socket too). */
export function parseStreamHeader(value: unknown): StreamHeader | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['t'] === 'control' && v['v'] === 1) return { t: 'control', v: 1 };
  if (v['t'] !== 'tunnel') return undefined;
  const host = v['host'];
  const port = v['port'];
  const answer = v['answer'];
  if (typeof host !== 'string' || !/^[A-Za-z0-9_.:-]{1,253}$/.test(host)) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  if (answer !== 'proxy' && answer !== 'http' && answer !== 'tls') return undefined;
  return { t: 'tunnel', host, port, answer };
}

/** Pipes both ways, half-closes passed on; when either side is gone for good, so is the other. */
export function splice(a: Socket, b: Socket): void {
  const cut = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', cut);
    s.on('close', cut);
  }
  a.pipe(b);
  b.pipe(a);
}
