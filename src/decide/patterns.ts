// Action patterns for permissions, policy scopes and rate limits. Action names are dot-separated
// segments (`stripe.refund.create`); in a pattern `*` stands for exactly one segment, except as the
// last segment, where it stands for the rest of the name (one or more segments). Specificity, the
// number of literal segments, is what lets `stripe.refund.*` beat `stripe.*`.

const SEGMENT = /^[a-z0-9_]+$/;
const MAX_PATTERN_LENGTH = 256;

/** Whether `pattern` is well formed: segments of [a-z0-9_] or `*`, nothing empty. */
export function isValidActionPattern(pattern: string): boolean {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH)
    return false;
  for (const segment of pattern.split('.')) {
    if (segment !== '*' && !SEGMENT.test(segment)) return false;
  }
  return true;
}

/** Number of literal (non-`*`) segments. */
export function patternSpecificity(pattern: string): number {
  let literal = specificities.get(pattern);
  if (literal !== undefined) return literal;
  literal = 0;
  for (const segment of pattern.split('.')) if (segment !== '*') literal++;
  if (specificities.size >= MATCHER_CACHE_LIMIT) specificities.clear();
  specificities.set(pattern, literal);
  return literal;
}

// Permissions are matched on every request, against the same few configured patterns: validate and
// split each pattern once. Bounded, because dry runs can send arbitrary patterns.
const MATCHER_CACHE_LIMIT = 10_000;
const matchers = new Map<string, (actionSegments: readonly string[]) => boolean>();
const specificities = new Map<string, number>();
// The actions being decided are few too (one per kind of request), but each arrives as a new string:
// their segments are kept (read only, never handed out) instead of splitting them once per rule.
const actionSegments = new Map<string, readonly string[]>();

/** Whether `action` falls under `pattern`. An invalid pattern matches nothing. */
export function matchesActionPattern(pattern: string, action: string): boolean {
  if (typeof action !== 'string' || typeof pattern !== 'string') return false;
  let match = matchers.get(pattern);
  if (match === undefined) {
    if (matchers.size >= MATCHER_CACHE_LIMIT) matchers.clear();
    match = compileActionPattern(pattern);
    matchers.set(pattern, match);
  }
  let segments = actionSegments.get(action);
  if (segments === undefined) {
    if (actionSegments.size >= MATCHER_CACHE_LIMIT) actionSegments.clear();
    segments = action.split('.');
    actionSegments.set(action, segments);
  }
  return match(segments);
}

/**
 * A pattern split once, for hot paths that test many actions against the same pattern (policy
 * scopes, rate limits). The returned function takes the action already split into segments.
 */
export function compileActionPattern(pattern: string): (actionSegments: readonly string[]) => boolean {
  if (!isValidActionPattern(pattern)) return () => false;
  if (pattern === '*') return (segments) => segments.length > 0 && segments[0] !== '';
  const segments = pattern.split('.');
  return (actionSegments) => segmentsMatch(segments, actionSegments);
}

function segmentsMatch(pattern: readonly string[], action: readonly string[]): boolean {
  const last = pattern.length - 1;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = action[i];
    if (a === undefined || a === '') return false;
    if (p === '*') {
      // A final `*` swallows every remaining segment (at least one, checked above).
      if (i === last) return action.every((s) => s !== '');
      continue;
    }
    if (p !== a) return false;
  }
  return action.length === pattern.length;
}
