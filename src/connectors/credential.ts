// Credential injection, as a pure function over headers and query. Threat model: the agent holds a
// dummy key and must never learn or choose the real one, and the real one must reach only the
// upstream. Controls: every header the agent could carry a credential in (the connector's list and
// the scheme's own header) is removed case-insensitively before the real value is set, so a dummy
// never travels next to the real key and two `Authorization` headers never go out; a secret that
// is not a valid header value is not sent at all (the upstream then refuses, visibly); with no
// stored secret nothing changes (SPEC 4.5: the agent's own header passes through).
import { setOwn } from './body.js';
import type { AuthScheme } from './types.js';

type Headers = Record<string, string | string[] | undefined>;

export interface CredentialInput {
  headers: Headers;
  path: string;
  query: URLSearchParams;
}

export interface CredentialOutput {
  headers: Headers;
  query: URLSearchParams;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// Visible ASCII, space and tab, and obs-text: what a header value may hold (no CR, LF or NUL).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Parse `--auth` text into a scheme; undefined when invalid (`header:` needs a header name). */
export function parseAuthScheme(text: string): AuthScheme | undefined {
  if (text === 'bearer' || text === 'basic' || text === 'none') return text;
  const m = /^(header|query):(.+)$/.exec(text);
  if (!m) return undefined;
  if (m[1] === 'header') return TOKEN.test(m[2]!) ? `header:${m[2]!.toLowerCase()}` : undefined;
  return m[2]!.length <= 128 ? `query:${m[2]!}` : undefined;
}

/** The header a scheme writes (lower-case), if it writes one. */
export function schemeHeader(scheme: AuthScheme): string | undefined {
  if (scheme === 'bearer' || scheme === 'basic') return 'authorization';
  if (scheme.startsWith('header:')) return scheme.slice(7).toLowerCase();
  return undefined;
}

function headerText(scheme: AuthScheme, secret: string): string {
  if (scheme === 'bearer') return `Bearer ${secret}`;
  if (scheme === 'basic') return `Basic ${Buffer.from(secret, 'utf8').toString('base64')}`;
  return secret;
}

export function applyCredential(
  input: CredentialInput,
  scheme: AuthScheme,
  secret: string | undefined,
  stripHeaders: readonly string[],
): CredentialOutput {
  if (secret === undefined || scheme === 'none') {
    return { headers: { ...input.headers }, query: new URLSearchParams(input.query) };
  }
  const own = schemeHeader(scheme);
  const strip = credentialHeaderNames(scheme, stripHeaders);
  const headers: Headers = {};
  for (const name of Object.keys(input.headers)) {
    if (!strip.has(name.toLowerCase())) setOwn(headers, name, input.headers[name]);
  }
  const query = new URLSearchParams(input.query);
  if (scheme.startsWith('query:')) {
    const name = scheme.slice(6);
    query.delete(name);
    query.append(name, secret);
  } else if (own) {
    const text = headerText(scheme, secret);
    if (HEADER_VALUE.test(text)) headers[own] = text;
  }
  return { headers, query };
}

// Per connector type's list (a module constant: a handful of entries) and scheme, instead of a new
// list and Set for every request. Never mutated once built.
const headerNames = new WeakMap<readonly string[], Map<AuthScheme, ReadonlySet<string>>>();

/**
 * The lower-case names applyCredential removes (and may set) for this scheme and connector type's
 * list: the list's names and the scheme's own header.
 */
export function credentialHeaderNames(
  scheme: AuthScheme,
  stripHeaders: readonly string[],
): ReadonlySet<string> {
  let byScheme = headerNames.get(stripHeaders);
  if (byScheme === undefined) {
    byScheme = new Map();
    headerNames.set(stripHeaders, byScheme);
  }
  let names = byScheme.get(scheme);
  if (names === undefined) {
    const set = new Set(stripHeaders.map((h) => h.toLowerCase()));
    const own = schemeHeader(scheme);
    if (own) set.add(own);
    names = set;
    byScheme.set(scheme, names);
  }
  return names;
}

/** Query parameter names only, `&`-joined, each once, in order (for the traffic log). */
export function redactQuery(query: URLSearchParams): string {
  return [...new Set(query.keys())].map((k) => encodeURIComponent(k)).join('&');
}
