// Turns a CONNECT target or SNI value into the one name a leaf certificate is minted for. Strict on
// purpose: the string comes from an agent, and whatever passes here ends up in a certificate that the
// agent's TLS stack trusts, so wildcards, zone ids, non-ASCII and malformed names are refused.
import { isIP } from 'node:net';

export type CertificateHost = { kind: 'dns'; name: string } | { kind: 'ip'; name: string; family: 4 | 6 };

// Letters, digits, hyphen and underscore (the last is not a hostname character, but real service
// names such as `_acme-challenge` or some CDN hosts use it and TLS stacks match it literally).
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Validates and normalises a host (lower case, no trailing dot, IPv6 brackets stripped). */
export function parseCertificateHost(host: string): CertificateHost {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  // net.isIP accepts `fe80::1%eth0`; a zone id names a local interface and has no place in a certificate.
  if (name.includes('%')) throw new Error(`invalid host ${quote(host)}: IPv6 zone ids are not allowed`);
  const family = isIP(name);
  if (family === 4 || family === 6) return { kind: 'ip', name, family };
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253) {
    throw new Error(`invalid host ${quote(host)}: a DNS name has 1 to 253 characters`);
  }
  const labels = name.split('.');
  for (const label of labels) {
    if (!DNS_LABEL.test(label)) {
      throw new Error(
        `invalid host ${quote(host)}: not a DNS name or IP address (label ${JSON.stringify(label)})`,
      );
    }
  }
  // An all-numeric last label is never a real TLD; it is a mistyped or partial IPv4 address
  // (`10.1.2`), which a resolver might expand in surprising ways.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    throw new Error(`invalid host ${quote(host)}: looks like an incomplete IP address`);
  }
  return { kind: 'dns', name };
}

// The host comes from an agent: keep error messages bounded.
function quote(host: string): string {
  return JSON.stringify(host.length > 80 ? `${host.slice(0, 80)}…` : host);
}
