// Types shared by the parts of the Node preload (types only: the preload itself is CommonJS, see
// preload.cts, and imports these with `import type`, which leaves nothing behind at run time).
import type { ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';

/** The proxy a scheme goes through, from HTTP(S)_PROXY. */
export interface ProxyServer {
  host: string;
  port: number;
  /** `Basic …` for Proxy-Authorization, from the proxy URL's user:password; sent to the proxy only. */
  authorization: string | undefined;
}

/** How one scheme leaves the process: through `proxy`, unless `bypass` (NO_PROXY) says direct. */
export interface Route {
  proxy: ProxyServer;
  bypass: (host: string, port: number) => boolean;
}

export type SocketCallback = (err: Error | null, socket?: Duplex) => void;

/** The options Node's Agent passes to addRequest / createConnection (a superset of these). */
export type ConnectOptions = ClientRequestArgs & {
  host?: string | null;
  servername?: string;
  socket?: Duplex;
  path?: string | null;
};
