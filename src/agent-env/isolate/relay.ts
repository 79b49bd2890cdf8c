// Threat model: the relay runs in `tameflare run`, outside the namespaces, and is the isolated agent's
// only way out. It listens on a Unix socket in a private 0700 directory; the bridge inside connects to
// it once per connection the agent makes. The agent runs as the same user, so it can reach the socket
// as well: the relay therefore grants nothing the bridge would not (every stream becomes a CONNECT
// through the gateway with this agent's credentials, decided and logged there), accepts one control
// connection only (the bridge's, made before the agent starts), and validates every line it reads.
// The agent's key never crosses the socket.
import { createServer, type Server, type Socket } from 'node:net';
import { BypassReporter } from './bypass-reporter.js';
import { type GatewayAddress, openGatewayTunnel } from './gateway-tunnel.js';
import {
  type BridgeConfig,
  type BridgeEvent,
  lineLength,
  MAX_LINE_BYTES,
  parseStreamHeader,
  readJsonLines,
  readPrefix,
  type StreamHeader,
  splice,
  writeJsonLine,
} from './relay-protocol.js';

export interface RelayOptions {
  socketPath: string;
  gateway: GatewayAddress;
  config: BridgeConfig;
  /** Called for `ready`, `exit` and `fail` from the bridge (bypass messages go to the reporter). */
  onEvent(event: BridgeEvent): void;
}

const BAD_GATEWAY =
  'HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n' +
  'tameflare: the gateway cannot be reached from `run --isolate`\n';

export class Relay {
  readonly reporter: BypassReporter;
  readonly #opts: RelayOptions;
  readonly #server: Server;
  readonly #streams = new Set<Socket>();
  #control: Socket | undefined;
  #controlTaken = false;

  constructor(opts: RelayOptions) {
    this.#opts = opts;
    this.reporter = new BypassReporter(opts.gateway);
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
  }

  /** Whether the bridge has connected: the namespaces exist and Node runs inside them. */
  get bridgeConnected(): boolean {
    return this.#controlTaken;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.socketPath, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  /** Passes a signal on to the agent (through the bridge, which can see it). */
  signal(signal: NodeJS.Signals): void {
    if (this.#control) writeJsonLine(this.#control, { t: 'signal', signal });
  }

  /** Stops accepting, cuts every stream. Bypass reports already queued are the caller's to await. */
  close(): Promise<void> {
    for (const s of this.#streams) s.destroy();
    this.#control?.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#streams.add(socket);
    socket.on('close', () => this.#streams.delete(socket));
    socket.on('error', () => socket.destroy());
    readPrefix(socket, lineLength, MAX_LINE_BYTES).then(
      ({ prefixLength, buffered }) => {
        let header: StreamHeader | undefined;
        try {
          header = parseStreamHeader(JSON.parse(buffered.subarray(0, prefixLength).toString('utf8')));
        } catch {
          header = undefined;
        }
        const rest = buffered.subarray(prefixLength);
        if (header?.t === 'control' && !this.#controlTaken) this.#startControl(socket, rest);
        else if (header?.t === 'tunnel') void this.#tunnel(socket, header, rest);
        else socket.destroy();
      },
      () => socket.destroy(),
    );
  }

  #startControl(socket: Socket, rest: Buffer): void {
    this.#controlTaken = true;
    this.#control = socket;
    if (rest.length > 0) socket.unshift(rest);
    readJsonLines(socket, (message) => {
      const event = parseBridgeEvent(message);
      if (!event) return;
      if (event.t === 'bypass') this.reporter.add(event);
      else this.#opts.onEvent(event);
    });
    socket.resume();
    writeJsonLine(socket, this.#opts.config);
  }

  async #tunnel(
    stream: Socket,
    header: Extract<StreamHeader, { t: 'tunnel' }>,
    early: Buffer,
  ): Promise<void> {
    let answer: Awaited<ReturnType<typeof openGatewayTunnel>>;
    try {
      answer = await openGatewayTunnel(this.#opts.gateway, header.host, header.port);
    } catch {
      if (header.answer !== 'tls' && !stream.destroyed) stream.end(BAD_GATEWAY);
      else stream.destroy();
      return;
    }
    const { socket: upstream, status, head, rest } = answer;
    this.#streams.add(upstream);
    upstream.on('close', () => this.#streams.delete(upstream));
    if (stream.destroyed) {
      upstream.destroy();
      return;
    }
    if (status !== 200) {
      if (header.answer === 'tls') {
        upstream.destroy();
        stream.destroy();
        return;
      }
      // A refusal the agent can read: the gateway's problem+json, then the end of the connection.
      stream.write(head);
      if (rest.length > 0) stream.write(rest);
      upstream.on('error', () => stream.destroy());
      upstream.on('end', () => upstream.destroy());
      stream.on('error', () => upstream.destroy());
      upstream.pipe(stream);
      stream.resume(); // whatever else the agent sends goes nowhere
      return;
    }
    if (header.answer === 'proxy') stream.write(head);
    if (rest.length > 0) stream.write(rest);
    if (early.length > 0) upstream.write(early);
    splice(stream, upstream);
  }
}

function parseBridgeEvent(value: unknown): BridgeEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v['t']) {
    case 'ready':
      return { t: 'ready' };
    case 'exit': {
      const code =
        typeof v['code'] === 'number' && Number.isInteger(v['code']) ? (v['code'] as number) : null;
      const signal = typeof v['signal'] === 'string' ? (v['signal'] as string) : null;
      return { t: 'exit', code, signal };
    }
    case 'fail': {
      const reason =
        typeof v['reason'] === 'string' ? (v['reason'] as string).slice(0, 2000) : 'unknown failure';
      const exitCode = typeof v['exitCode'] === 'number' ? (v['exitCode'] as number) : 1;
      const about = v['about'] === 'command' ? 'command' : 'isolation';
      return { t: 'fail', about, reason, exitCode };
    }
    case 'bypass': {
      const protocol = v['protocol'];
      const count = v['count'];
      if (protocol !== 'tcp' && protocol !== 'udp') return undefined;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) return undefined;
      const destination = typeof v['destination'] === 'string' ? (v['destination'] as string) : null;
      const detail = typeof v['detail'] === 'string' ? (v['detail'] as string).slice(0, 200) : '';
      return { t: 'bypass', protocol, count, destination, detail };
    }
    default:
      return undefined;
  }
}
