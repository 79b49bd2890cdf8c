// Threat model: the agent writes the request line and every Host header, and the gateway attaches the
// real credential to what it forwards. Where the agent names a host twice and the two names differ, a
// front end shared by several sites may route on the name the gateway did not check, and the
// credential goes to that other site. Controls (RFC 9112 3.2): a request with more than one Host line
// is refused (which one would the upstream read?); an HTTP/1.1 request without one is refused; in
// absolute form the agent's Host is ignored and the forwarder sends the target URI's authority; inside
// a tunnel both the Host and an absolute-form target must name the tunnel's host and port (the TLS
// SNI was already held to the same host at the handshake), else 421. HTTP/1.0 may omit Host: the
// forwarder always sends the authority it dialled, so the upstream gets one either way.
import type { IncomingMessage } from 'node:http';
import { normaliseHost } from '../../connectors/connector-index.js';
import type { TunnelContext } from '../listen/interception.js';

export interface HostProblem {
  code: 'bad_request' | 'tls_host_mismatch';
  detail: string;
}

/** What an absolute-form target inside a tunnel names (undefined for origin form). */
export interface TargetAuthority {
  host: string; // normalised
  port: number;
}

export function checkHostIntegrity(
  req: IncomingMessage,
  tunnel: TunnelContext | undefined,
  targetAuthority: TargetAuthority | undefined,
): HostProblem | undefined {
  const raw = req.rawHeaders;
  let count = 0;
  let value: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      count++;
      value = raw[i + 1];
    }
  }
  if (count > 1) {
    return {
      code: 'bad_request',
      detail: `the request has ${count} Host header fields; exactly one is allowed (RFC 9112 section 3.2)`,
    };
  }
  if (count === 0 && !(req.httpVersionMajor === 1 && req.httpVersionMinor === 0)) {
    return {
      code: 'bad_request',
      detail: 'an HTTP/1.1 request must carry a Host header field (RFC 9112 section 3.2)',
    };
  }
  if (!tunnel) return undefined; // absolute form: the forwarder replaces Host with the target's authority
  if (targetAuthority && (targetAuthority.host !== tunnel.host || targetAuthority.port !== tunnel.port)) {
    return {
      code: 'tls_host_mismatch',
      detail: `the request target names another host than the tunnel's host ${tunnel.host}`,
    };
  }
  if (value !== undefined && !hostHeaderMatches(value, tunnel)) {
    return {
      code: 'tls_host_mismatch',
      detail: `the Host header does not name the tunnel's host ${tunnel.host}`,
    };
  }
  return undefined;
}

/** Inside a tunnel, the Host header must name the CONNECT target, with its port unless the default. */
function hostHeaderMatches(header: string, tunnel: TunnelContext): boolean {
  // The common spellings first (no pattern matching on the hot path).
  const defaultPort = tunnel.secure ? 443 : 80;
  if (header === tunnel.host) return tunnel.port === defaultPort;
  if (
    header.length === tunnel.host.length + 1 + String(tunnel.port).length &&
    header === `${tunnel.host}:${tunnel.port}`
  ) {
    return true;
  }
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return false;
  const port = m[2] ? Number(m[2]) : defaultPort;
  return canonicalHost(m[1]!) === tunnel.host && port === tunnel.port;
}

/** The tunnel host came through a URL parser, which writes IPv6 literals canonically: do the same. */
function canonicalHost(host: string): string {
  if (!host.startsWith('[')) return normaliseHost(host);
  try {
    return normaliseHost(new URL(`http://${host}/`).hostname);
  } catch {
    return host;
  }
}
