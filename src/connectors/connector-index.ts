// Which configured connector covers a host (and port). Deny is the default: a host no connector
// covers is refused. Entries: `api.example.com`, `api.example.com:8443`, `*.example.com` (subdomains
// only, not example.com itself), `*.example.com:8443`. An entry without a port covers every port.
// Precedence: exact host over wildcard, longer wildcard over shorter, an entry with a port over one
// without; among equals, the first connector in the snapshot wins. A wildcard over a public suffix
// (`*.com`, `*.github.io`) covers nothing: the control plane refuses them; this is the backstop.
import type { SnapshotConnector } from '../sync/snapshot.js';
import { publicSuffixWildcard } from './public-suffix-wildcard.js';

interface DomainEntry {
  connector: SnapshotConnector;
  port: number | undefined;
}

interface WildcardEntry extends DomainEntry {
  suffix: string; // '.example.com'
}

export class ConnectorIndex {
  readonly #exact = new Map<string, DomainEntry[]>();
  readonly #wildcards: WildcardEntry[] = [];
  readonly size: number;
  /** Wildcard entries over a public suffix, which cover nothing here (see public-suffix-wildcard.ts). */
  readonly ignored: string[] = [];
  readonly domainsOf: (c: SnapshotConnector) => readonly string[];

  /** `domainsOf` gives a connector's domains (its own, or its type's defaults when it lists none). */
  constructor(
    connectors: readonly SnapshotConnector[],
    domainsOf: (c: SnapshotConnector) => readonly string[],
  ) {
    this.size = connectors.length;
    this.domainsOf = domainsOf;
    for (const connector of connectors) {
      for (const raw of domainsOf(connector)) {
        const parsed = parseDomainEntry(raw);
        if (!parsed) continue;
        if (parsed.host.startsWith('*.') && publicSuffixWildcard(parsed.host)) {
          this.ignored.push(raw); // the control plane refuses these; one that arrives anyway covers nothing
          continue;
        }
        if (parsed.host.startsWith('*.')) {
          this.#wildcards.push({ connector, port: parsed.port, suffix: parsed.host.slice(1) });
        } else {
          const list = this.#exact.get(parsed.host) ?? [];
          list.push({ connector, port: parsed.port });
          this.#exact.set(parsed.host, list);
        }
      }
    }
    // Longest suffix first, then entries with a port; sort is stable, so snapshot order breaks ties.
    this.#wildcards.sort(
      (a, b) =>
        b.suffix.length - a.suffix.length || Number(b.port !== undefined) - Number(a.port !== undefined),
    );
  }

  lookup(host: string, port: number): SnapshotConnector | undefined {
    const name = normaliseHost(host);
    const exact = this.#exact.get(name);
    if (exact) {
      const hit = exact.find((e) => e.port === port) ?? exact.find((e) => e.port === undefined);
      if (hit) return hit.connector;
    }
    for (const w of this.#wildcards) {
      if (
        name.length > w.suffix.length &&
        name.endsWith(w.suffix) &&
        (w.port === undefined || w.port === port)
      ) {
        return w.connector;
      }
    }
    return undefined;
  }
}

export function normaliseHost(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

function parseDomainEntry(raw: string): { host: string; port: number | undefined } | undefined {
  const text = raw.trim().toLowerCase();
  if (!text) return undefined;
  // `[v6]:port`, `host:port`, or a bare host / IPv6 literal.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  const colon = text.lastIndexOf(':');
  if (colon > 0 && text.indexOf(':') === colon) {
    const port = Number(text.slice(colon + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    return { host: normaliseHost(text.slice(0, colon)), port };
  }
  return { host: normaliseHost(text), port: undefined };
}
