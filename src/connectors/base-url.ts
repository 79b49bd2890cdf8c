// The `--base-url` of a configured connector (GitHub Enterprise `https://ghe.example.com/api/v3`,
// an OpenAI-compatible proxy under a path...): its host becomes the default domain and its path
// is stripped before route matching. Parsed once per distinct URL: parsing on every request would
// cost more than the route match itself.
import { prefixSegments } from './path-segments.js';

export interface BaseUrlParts {
  host: string; // lower-case, no port
  segments: string[]; // lower-case path segments
}

const cache = new Map<string, BaseUrlParts | null>();
const CACHE_MAX = 64;

/** Host and path of a base URL, or undefined when absent or not an http(s) URL. */
export function baseUrlParts(baseUrl: string | undefined): BaseUrlParts | undefined {
  if (baseUrl === undefined || baseUrl === '') return undefined;
  let parts = cache.get(baseUrl);
  if (parts === undefined) {
    parts = parse(baseUrl);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(baseUrl, parts);
  }
  return parts ?? undefined;
}

function parse(text: string): BaseUrlParts | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return { host, segments: prefixSegments(url.pathname) };
}
