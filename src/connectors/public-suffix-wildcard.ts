// Threat model: a connector's domains decide which hosts an agent may reach with that connector's
// credential. A wildcard over a public suffix (`*.com`, `*.co.uk`, `*.github.io`) covers every site
// anyone can register under it, so an agent could send the credential to a host of its own choosing.
// Control: wildcards whose base is a public suffix (ICANN and private sections of the Public Suffix
// List, bundled in tldts: no network at run time), or whose every subdomain is one (`*.ck`-style
// rules), or that sit over a single label or an IP address, are refused wherever a domain enters
// (API, config apply) and ignored by the gateway's connector index if one arrives anyway.
import { parse } from 'tldts';

const PSL = { allowPrivateDomains: true, extractHostname: false } as const;

/**
 * Why a connector domain entry is too wide, or undefined when it is not a wildcard or is fine. Takes
 * entries as configured: `*.example.com`, optionally with `:port`, any case, a trailing dot allowed.
 */
export function publicSuffixWildcard(entry: string): string | undefined {
  const text = entry.trim().toLowerCase();
  if (!text.startsWith('*.')) return undefined;
  const base = text.slice(2).replace(/:\d+$/, '').replace(/\.$/, '');
  if (base === '') return `${entry} covers every host; name a domain you control`;
  const labels = base.split('.');
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    return `${entry} is a wildcard over IP addresses; list the addresses instead`;
  }
  const own = parse(base, PSL);
  if (own.domain === null || own.publicSuffix === base) {
    // An unlisted single label (`*.internal`) is a suffix by the list's default rule: a whole TLD.
    return own.isIcann || own.isPrivate || labels.length > 1
      ? `${entry} covers every site under the public suffix ${base} (Public Suffix List); name a domain you control`
      : `${entry} covers a whole top-level domain; name a domain you control (e.g. *.api.example.com)`;
  }
  // Rules such as `*.ck` or `*.compute.amazonaws.com` make every child of the base a public suffix.
  const child = `tameflare-probe.${base}`;
  if (parse(child, PSL).publicSuffix === child) {
    return `${entry} covers public suffixes (each subdomain of ${base} is one, Public Suffix List); name a domain you control`;
  }
  return undefined;
}
