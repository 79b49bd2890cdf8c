// Turning a request path into the segments the route tables match. The path is attacker-chosen:
// an agent that wants to slip past a policy on `github.repo.delete` could send
// `/repos/o/./r/../r`, `//repos/o/r/` or `/%72epos/o/r`. Upstream servers resolve such paths to
// the same resource, so we resolve them the same way before matching (WHATWG URL rules: empty
// segments dropped, `.`/`..` resolved, `%2e` counts as a dot; `%2F` splits like `/`) and match
// literals on the decoded, lower-cased text. Decoding never throws: a malformed escape keeps its
// raw text.

const MAX_SEGMENTS = 64;

/** decodeURIComponent without the exception: malformed input is returned unchanged. */
export function safeDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Decoded segments of `path`, with empty and dot segments resolved. Returns undefined when more
 * than 64 segments remain (no route is that deep; the caller maps them as unknown). The work is
 * linear in the path, which the HTTP parser already bounds.
 */
export function pathSegments(path: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  const len = path.length;
  while (start <= len) {
    let end = path.indexOf('/', start);
    if (end === -1) end = len;
    if (end > start) {
      const seg = safeDecode(path.slice(start, end));
      // An encoded slash separates too: clients encode path params whole (Octokit sends
      // `git/refs/heads%2Ffeature`) and GitHub reads it as `heads/feature`.
      if (seg.includes('/')) for (const part of seg.split('/')) push(out, part);
      else push(out, seg);
    }
    start = end + 1;
  }
  return out.length > MAX_SEGMENTS ? undefined : out;
}

function push(out: string[], seg: string): void {
  if (seg === '..') out.pop();
  else if (seg !== '.' && seg !== '') out.push(seg);
}

/**
 * The path below `prefix` (`/api/v3/repos/x` below `/api/v3` is `/repos/x`), or undefined when
 * `path` is not under it. Compared on normalised segments so encoding tricks do not matter.
 */
export function stripPrefix(segments: readonly string[], prefix: readonly string[]): string[] | undefined {
  if (prefix.length === 0) return segments.slice();
  if (segments.length < prefix.length) return undefined;
  for (let i = 0; i < prefix.length; i++) {
    if (segments[i]!.toLowerCase() !== prefix[i]) return undefined;
  }
  return segments.slice(prefix.length);
}

/** Lower-cased segments of a base path such as `/api/v3/` (for `stripPrefix`). */
export function prefixSegments(basePath: string): string[] {
  return (pathSegments(basePath) ?? []).map((s) => s.toLowerCase());
}
