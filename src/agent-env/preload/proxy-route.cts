// Which proxy a connection goes through, from the proxy variables: parsing HTTP(S)_PROXY and
// NO_PROXY, and the one rule every patch of the preload applies (goesDirect).
import type { ConnectOptions, ProxyServer, Route } from './preload-types.js';

function parseProxy(value: string): ProxyServer {
  const url = new URL(value);
  if (url.protocol !== 'http:') throw new Error(`unsupported proxy scheme ${url.protocol}`);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port) || 80,
    authorization:
      user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined,
  };
}

/** NO_PROXY as curl and undici read it: `*`, host, `.domain` / `*.domain` (subdomains), optional :port. */
function parseNoProxy(value: string): (host: string, port: number) => boolean {
  const entries = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const match = /^\[(.+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
      const host = (match ? match[1]! : entry).replace(/^\*?\./, '').toLowerCase();
      return { host, port: match?.[2] ? Number(match[2]) : 0 };
    });
  return (rawHost, port) => {
    const host = rawHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    return entries.some(
      (e) =>
        e.host === '*' || ((!e.port || e.port === port) && (host === e.host || host.endsWith(`.${e.host}`))),
    );
  };
}

function targetOf(options: ConnectOptions, defaultPort: number): { host: string; port: number } {
  return { host: options.host || options.hostname || 'localhost', port: Number(options.port) || defaultPort };
}

/**
 * Whether a connection skips the proxy: a Unix socket, a NO_PROXY host, or the proxy itself (its
 * own API, or a library that already does its own proxying through it).
 */
function goesDirect({ proxy, bypass }: Route, options: ConnectOptions, defaultPort: number): boolean {
  if (options.socketPath) return true;
  const { host, port } = targetOf(options, defaultPort);
  return bypass(host, port) || (host === proxy.host && port === proxy.port);
}

export = { parseProxy, parseNoProxy, targetOf, goesDirect };
