// Threat model: the CONNECT target is written by the agent, and proxy-chain parses it leniently (as
// the authority of a `connect://` URL), so `user:pw@host:443`, `host:443/path` and port 0 all open a
// tunnel. Each is a way to make the gateway and some other parser disagree on where the tunnel goes,
// or to smuggle a credential into a log line. Controls: the target must be exactly the authority form
// of RFC 9112 3.2.3, `host:port`, with a DNS name, an IPv4 address or a bracketed IPv6 address
// (no zone id) and a port from 1 to 65535; anything else is refused with 400 before a tunnel opens.
import { isIPv6 } from 'node:net';

export type ConnectTarget = { ok: true; host: string; port: number } | { ok: false; reason: string };

// Letters, digits, hyphen, underscore and dots: what a DNS name (or a dotted IP spelling) can hold.
const REG_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i;

export function parseConnectTarget(raw: string): ConnectTarget {
  if (raw.includes('@')) return refuse('it carries user information (user:password@)');
  if (/[/?#]/.test(raw)) return refuse('it carries a path, query or fragment');
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return refuse('it has no port (expected host:port)');
  const hostPart = raw.slice(0, colon);
  const portPart = raw.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portPart)) return refuse('the port is not a number from 1 to 65535');
  const port = Number(portPart);
  if (port < 1 || port > 65535) return refuse('the port is not a number from 1 to 65535');
  if (hostPart.length === 0) return refuse('the host is empty');
  if (hostPart.startsWith('[') && hostPart.endsWith(']')) {
    const v6 = hostPart.slice(1, -1);
    if (!isIPv6(v6) || v6.includes('%')) return refuse('the bracketed host is not an IPv6 address');
    return { ok: true, host: v6.toLowerCase(), port };
  }
  if (hostPart.length > 253 || !REG_NAME.test(hostPart)) {
    return refuse('expected host:port with a DNS name, an IPv4 address or a bracketed IPv6 address');
  }
  return { ok: true, host: hostPart.toLowerCase().replace(/\.$/, ''), port };
}

function refuse(why: string): ConnectTarget {
  return { ok: false, reason: `the CONNECT target is not host:port: ${why}` };
}
