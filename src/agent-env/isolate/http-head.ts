// Reads the first request head a client sends to the bridge's port 80 and says where it goes: a
// proxy-aware client sends CONNECT or an absolute URL (the bridge is its proxy), a proxy-unaware one
// sends an ordinary request whose Host names the site (the resolver pointed it here).
//
// Pure. Input comes from the agent: the head is bounded, and a host only passes if it is a plain
// name or IP literal, since it ends up in a CONNECT line.

export const MAX_HEAD_BYTES = 64 * 1024;

export interface RequestHead {
  method: string;
  target: string;
  version: string;
  /** Header lines as sent (name, value), in order. */
  headers: Array<[string, string]>;
  /** Offset of the first byte after the blank line. */
  end: number;
}

export type HeadPeek =
  | { kind: 'need-more' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'head'; head: RequestHead };

export type HttpRoute =
  /** CONNECT host:port: the gateway's answer goes back as it is. */
  | { kind: 'connect'; host: string; port: number; rest: Buffer }
  /** An absolute URL through the proxy, or an ordinary request: `bytes` go into a tunnel to host:port. */
  | { kind: 'request'; host: string; port: number; bytes: Buffer }
  | { kind: 'invalid'; reason: string };

export function peekRequestHead(data: Buffer): HeadPeek {
  const blank = data.indexOf('\r\n\r\n');
  if (blank < 0) {
    if (data.length > MAX_HEAD_BYTES) return { kind: 'invalid', reason: 'request head too large' };
    // Not an HTTP request line at all: no need to wait for more.
    if (data.length >= 8 && !/^[A-Z]+ /.test(data.subarray(0, 16).toString('latin1'))) {
      return { kind: 'invalid', reason: 'not an HTTP request' };
    }
    return { kind: 'need-more' };
  }
  const lines = data.subarray(0, blank).toString('latin1').split('\r\n');
  const request = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (!request) return { kind: 'invalid', reason: 'not an HTTP/1.x request line' };
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'invalid', reason: 'malformed header line' };
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return {
    kind: 'head',
    head: { method: request[1]!, target: request[2]!, version: request[3]!, headers, end: blank + 4 },
  };
}

/**
 * Where a request that arrived on the bridge's HTTP port (`localPort`, usually 80) goes, and the bytes
 * to send there. Absolute-form requests are rewritten to origin form with `Connection: close`: a
 * proxy client may send its next request on the same connection for another host, which must not
 * travel down this host's tunnel.
 */
export function routeRequest(data: Buffer, head: RequestHead, localPort: number): HttpRoute {
  if (head.method === 'CONNECT') {
    const target = splitHostPort(head.target, undefined);
    if (!target) return { kind: 'invalid', reason: 'CONNECT target is not host:port' };
    return { kind: 'connect', ...target, rest: data.subarray(head.end) };
  }
  if (/^https?:\/\//i.test(head.target)) {
    let url: URL;
    try {
      url = new URL(head.target);
    } catch {
      return { kind: 'invalid', reason: 'malformed absolute URL' };
    }
    if (url.protocol !== 'http:') return { kind: 'invalid', reason: 'only http:// URLs go without CONNECT' };
    const target = splitHostPort(url.host, 80);
    if (!target) return { kind: 'invalid', reason: 'malformed host in URL' };
    const path = `${url.pathname}${url.search}`;
    const headers = head.headers.filter(
      ([name]) => !/^(proxy-connection|proxy-authorization|connection)$/i.test(name),
    );
    if (!headers.some(([name]) => /^host$/i.test(name))) headers.unshift(['Host', url.host]);
    headers.push(['Connection', 'close']);
    return { kind: 'request', ...target, bytes: withHead(data, head, `${head.method} ${path}`, headers) };
  }
  const host = head.headers.find(([name]) => /^host$/i.test(name))?.[1];
  if (host === undefined) return { kind: 'invalid', reason: 'request without a Host header' };
  const target = splitHostPort(host, localPort);
  if (!target) return { kind: 'invalid', reason: 'malformed Host header' };
  // The client connected to this port, whatever its Host says: that is the port it meant.
  const headers = head.headers.filter(([name]) => !/^proxy-authorization$/i.test(name));
  return { kind: 'request', host: target.host, port: localPort, bytes: withHead(data, head, null, headers) };
}

function withHead(
  data: Buffer,
  head: RequestHead,
  requestLine: string | null,
  headers: Array<[string, string]>,
) {
  const line = requestLine ?? `${head.method} ${head.target}`;
  const text = [`${line} ${head.version}`, ...headers.map(([n, v]) => `${n}: ${v}`), '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(text, 'latin1'), data.subarray(head.end)]);
}

/** `host`, `host:port`, `[v6]:port` → parts, or undefined when the host is not a plain name or IP. */
export function splitHostPort(
  text: string,
  defaultPort: number | undefined,
): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port === undefined || port < 1 || port > 65_535) return undefined;
  const host = (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, '');
  if (host === '' || host.length > 253) return undefined;
  return { host, port };
}

/** The CONNECT authority for a host: IPv6 literals in brackets. */
export function authority(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
