// Threat model: the gateway dials upstreams on behalf of agents, from inside the operator's network.
// An agent that steers it (a crafted URL, a connector base URL, DNS that the attacker controls and that
// answers 127.0.0.1 or, on a second lookup, something else: DNS rebinding) could reach what the agent
// itself cannot: the cloud metadata service (169.254.169.254 hands out instance credentials), the
// control plane and other daemons on loopback, databases and admin UIs on private ranges (SSRF).
// Controls: the check lives in the `lookup` hook of the socket that dials, so the address checked is
// the address connected to; IPv4-mapped, NAT64 and 6to4 spellings of blocked IPv4 ranges are blocked
// too; anything that is not an IP address is refused; only the operator's explicit allow list
// (--unsafe-allow-private-egress) opens a range. Node skips `lookup` for IP-literal hosts, so callers
// must pass those through `assertDialable` before dialling.
import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

type Family = 'ipv4' | 'ipv6';

const BLOCKED_IPV4: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF reserved'],
  ['192.168.0.0', 16, 'private'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

const BLOCKED_IPV6: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  // IPv4-mapped forms (::ffff:10.0.0.1) need no rule: BlockList matches them against the IPv4 rules.
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address that a translator will dial.
  ...BLOCKED_IPV4.flatMap(([address, prefix, label]) => [
    [`64:ff9b::${address}`, 96 + prefix, `${label} via NAT64`] as const,
    [`2002:${sixToFourGroups(address)}::`, 16 + prefix, `${label} via 6to4`] as const,
  ]),
];

export interface EgressGuard {
  /** True when dialling `address` (an IP, no brackets needed) is refused; non-IPs are refused. */
  isBlocked(address: string): boolean;
  /** For IP-literal hosts, which Node dials without calling `lookup`: throws EgressBlockedError. */
  assertDialable(host: string): void;
  /** A `dns.lookup` replacement for `net.connect`, `tls.connect`, `http(s).Agent` and undici. */
  lookup: LookupFunction;
}

/** Resolves a name to every address (like `dns.lookup` with `all: true`); injectable for tests. */
export type Resolve = (
  host: string,
  options: { family: 0 | 4 | 6; hints?: number },
) => Promise<Array<{ address: string; family: number }>>;

export class EgressBlockedError extends Error {
  readonly code = 'EGRESS_BLOCKED';
  readonly host: string;
  readonly address: string;
  readonly range: string;

  constructor(host: string, address: string, range: string) {
    const via = host === address ? address : `${host} (${address})`;
    super(`egress to ${via} is blocked: ${range} address; --unsafe-allow-private-egress can open a range`);
    this.name = 'EgressBlockedError';
    this.host = host;
    this.address = address;
    this.range = range;
  }
}

export function createEgressGuard(opts: { allowCidrs: readonly string[]; resolve?: Resolve }): EgressGuard {
  const allowed = new BlockList();
  for (const cidr of opts.allowCidrs) {
    const { address, prefix, family } = parseCidr(cidr, 'allowCidrs');
    allowed.addSubnet(address, prefix, family);
  }
  const blocked = new BlockList();
  // One list per rule as well, consulted only on the refusal path to name the range in the error.
  const labelled: Array<{ label: string; list: BlockList }> = [];
  for (const [rules, family] of [
    [BLOCKED_IPV4, 'ipv4'],
    [BLOCKED_IPV6, 'ipv6'],
  ] as const) {
    for (const [address, prefix, label] of rules) {
      blocked.addSubnet(address, prefix, family);
      const list = new BlockList();
      list.addSubnet(address, prefix, family);
      labelled.push({ label, list });
    }
  }
  const resolve = opts.resolve ?? defaultResolve;

  /** The label of the blocked range `address` falls in, or undefined when it may be dialled. */
  function blockedRange(address: string): string | undefined {
    const ip = stripZone(stripBrackets(address));
    const version = isIP(ip);
    if (version === 0) return 'non-IP';
    const family: Family = version === 4 ? 'ipv4' : 'ipv6';
    if (allowed.check(ip, family) || !blocked.check(ip, family)) return undefined;
    return labelled.find((rule) => rule.list.check(ip, family))?.label ?? 'blocked';
  }

  function assertDialable(host: string): void {
    const literal = stripBrackets(host);
    if (isIP(literal) === 0) return;
    const range = blockedRange(literal);
    if (range) throw new EgressBlockedError(host, literal, range);
  }

  const lookup: LookupFunction = (hostname, options, callback) => {
    const family = familyOption(options);
    const hints = typeof options === 'object' && options !== null ? options.hints : undefined;
    const wantsAll = typeof options === 'object' && options !== null && options.all === true;
    const literal = stripBrackets(hostname);
    const version = isIP(literal);
    const resolving =
      version !== 0
        ? Promise.resolve([{ address: literal, family: version }])
        : resolve(hostname, hints === undefined ? { family } : { family, hints });
    resolving.then(
      (addresses) => {
        const candidates = addresses.filter((a) => family === 0 || a.family === family);
        const usable = candidates.filter((a) => blockedRange(a.address) === undefined);
        const first = usable[0];
        if (!first) {
          const refused = candidates[0];
          if (!refused) {
            callback(notFound(hostname), wantsAll ? [] : '', undefined);
            return;
          }
          callback(
            new EgressBlockedError(hostname, refused.address, blockedRange(refused.address)!),
            '',
            undefined,
          );
          return;
        }
        if (wantsAll) callback(null, usable as LookupAddress[]);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, wantsAll ? [] : '', undefined),
    );
  };

  return { isBlocked: (address) => blockedRange(address) !== undefined, assertDialable, lookup };
}

/**
 * Parses the value of --unsafe-allow-private-egress: CIDRs (or single addresses) separated by commas
 * or whitespace. Throws an Error naming the bad entry.
 */
export function parseCidrList(text: string, source = '--unsafe-allow-private-egress'): string[] {
  return text
    .split(/[\s,]+/)
    .filter((part) => part.length > 0)
    .map((part) => {
      const { address, prefix } = parseCidr(part, source);
      return `${address}/${prefix}`;
    });
}

function parseCidr(text: string, source: string): { address: string; prefix: number; family: Family } {
  const bad = () =>
    new Error(
      `invalid CIDR ${JSON.stringify(text.slice(0, 80))} in ${source}: expected e.g. 10.0.0.0/8 or fd00::/8`,
    );
  const slash = text.indexOf('/');
  const address = stripBrackets(slash === -1 ? text : text.slice(0, slash)).toLowerCase();
  const version = isIP(address);
  if (version === 0 || address.includes('%')) throw bad();
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) throw bad();
  const prefix = Number(prefixText);
  if (prefix > max) throw bad();
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const defaultResolve: Resolve = (host, options) => dns.lookup(host, { ...options, all: true });

function familyOption(options: unknown): 0 | 4 | 6 {
  const raw =
    typeof options === 'object' && options !== null ? (options as { family?: unknown }).family : options;
  if (raw === 4 || raw === 'IPv4') return 4;
  if (raw === 6 || raw === 'IPv6') return 6;
  return 0;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}

function notFound(host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
}

function sixToFourGroups(ipv4: string): string {
  const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
