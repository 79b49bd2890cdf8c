// Which headers cross the gateway. Works on Node's flat rawHeaders arrays ([name, value, ...]) so
// case, order and repeated headers survive untouched, except for what a proxy must remove: hop-by-hop
// headers (RFC 9110 7.6.1, including every name the Connection header lists), anything Proxy-*, and
// the agent's own credential headers when the gateway injects the real one.
// Threat model: the agent writes every header, and the upstream acts on what it receives with the real
// credential attached. So the upstream must receive exactly the request that was decided: `Host` is
// always the authority of the target the gateway dialled and checked (RFC 9112 3.2.2: a proxy replaces
// it), never the agent's (on a shared front end the agent's Host would hand the credential to another
// site); and method-override headers are removed, so the upstream runs the method that was decided.

/** Always hop-by-hop, whatever Connection says. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  // 100-continue was already answered (or not) by our own server: never ask the upstream again.
  'expect',
  // HTTP/2 cleartext upgrade settings only make sense on the hop they were sent on.
  'http2-settings',
  // SDK mode's token is for the gateway alone; an upstream must never receive a credential of ours.
  'x-tameflare-decision-token',
]);

/**
 * Headers some frameworks read as the "real" method of a POST (Rails, Express method-override, Google
 * APIs, ASP.NET). The gateway decides on the request line's method and cannot know which upstream honours
 * which spelling, so they never cross: a POST decided as a POST arrives as a POST.
 */
export const METHOD_OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

export interface RequestHeaderOptions {
  /** The Host to send: the authority of the target actually dialled (see `upstreamAuthority`). */
  authority: string;
  /** Lower-case names to drop as well (the agent's dummy credential when one is injected). */
  drop?: ReadonlySet<string> | undefined;
  /** Keep `Connection: Upgrade` and `Upgrade: websocket` (a WebSocket handshake being forwarded). */
  websocket?: boolean | undefined;
}

/** The Host header value for a target: `host[:port]`, the port only when it is not the scheme's. */
export function upstreamAuthority(target: { secure: boolean; host: string; port: number }): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host; // IPv6 literal
  return target.port === (target.secure ? 443 : 80) ? host : `${host}:${target.port}`;
}

/** Headers to send upstream for an agent's request; `Host` first, set to `opts.authority`. */
export function forwardRequestHeaders(rawHeaders: readonly string[], opts: RequestHeaderOptions): string[] {
  const named = connectionTokens(rawHeaders);
  const out = presized(rawHeaders.length + 6);
  out[0] = 'Host';
  out[1] = opts.authority;
  let n = 2;
  let chunked = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding') {
      chunked = true;
      continue;
    }
    if (lower === 'host' || METHOD_OVERRIDE_HEADERS.has(lower)) continue;
    if (opts.websocket && (lower === 'upgrade' || lower === 'connection')) continue; // re-added below
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || named?.has(lower)) continue;
    if (opts.drop?.has(lower)) continue;
    out[n++] = name;
    out[n++] = value;
  }
  out.length = n;
  if (chunked) {
    // Our own server de-chunked the body; the client frames it again on the upstream hop (chunked,
    // as the length is unknown). A Content-Length next to Transfer-Encoding is a smuggling vector:
    // chunked wins (RFC 9112 6.3), so the length is not sent.
    stripHeader(out, 'content-length');
  }
  if (opts.websocket) out.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  return out;
}

/** Headers to send back to the agent for an upstream response. */
export function forwardResponseHeaders(
  rawHeaders: readonly string[],
  opts: { websocket?: boolean } = {},
): string[] {
  const named = connectionTokens(rawHeaders);
  const out = presized(rawHeaders.length + 2); // room for the request id the forwarder adds
  let n = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (
      !(opts.websocket && (lower === 'upgrade' || lower === 'connection')) &&
      (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || named?.has(lower))
    )
      continue;
    out[n++] = name;
    out[n++] = rawHeaders[i + 1]!;
  }
  out.length = n;
  return out;
}

/** Whether the request asks for a WebSocket upgrade (the only upgrade the gateway forwards). */
export function isWebSocketUpgrade(headers: Record<string, string | string[] | undefined>): boolean {
  const upgrade = headers['upgrade'];
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}

/** Lower-case header map of a raw header list (last value wins, like the connectors expect). */
export function rawHeaderValue(rawHeaders: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name) found = rawHeaders[i + 1];
  }
  return found;
}

/**
 * The names a Connection header lists, beyond those always removed; undefined when there are none
 * (nearly always: `Connection: keep-alive` or `close`), so the common request and response allocate nothing.
 */
function connectionTokens(rawHeaders: readonly string[]): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue;
    const value = rawHeaders[i + 1]!;
    for (const token of value.includes(',') ? value.split(',') : [value]) {
      const t = token.trim().toLowerCase();
      if (!t || HOP_BY_HOP.has(t)) continue;
      names ??= new Set();
      names.add(t);
    }
  }
  return names;
}

function stripHeader(list: string[], lower: string): void {
  for (let i = list.length - 2; i >= 0; i -= 2) {
    if (list[i]!.toLowerCase() === lower) list.splice(i, 2);
  }
}

/**
 * An array with room for `capacity` entries, filled by index, its length set to what was written
 * at the end (which keeps the room: the caller may push a few more). Built from [] it grows twice
 * for a dozen headers, copying its store each time, once per request and once per response.
 */
function presized(capacity: number): string[] {
  return new Array<string>(capacity);
}
