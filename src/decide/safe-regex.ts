// The gate for `matches` patterns. Three layers: a length bound, JavaScript's own parser (so a
// pattern means what it means everywhere else, e.g. in the dashboard), safe-regex2's star-height
// check (nested unbounded repeats are exponential on any backtracking engine a pattern might one
// day reach), and our parser's subset, which compiles to the linear-time engine that actually runs.
import safeRegex from 'safe-regex2';
import { LinearRegex } from './regex-vm.js';

export const MAX_REGEX_LENGTH = 256;

export type RegexCheck = { ok: true; regex: LinearRegex } | { ok: false; message: string };

export function compilePolicyRegex(source: string): RegexCheck {
  if (typeof source !== 'string') return { ok: false, message: 'must be a string (a regular expression)' };
  if (source.length === 0) return { ok: false, message: 'must not be empty' };
  if (source.length > MAX_REGEX_LENGTH) {
    return { ok: false, message: `is longer than ${MAX_REGEX_LENGTH} characters` };
  }
  try {
    new RegExp(source);
  } catch (err) {
    return { ok: false, message: `is not a valid regular expression: ${(err as Error).message}` };
  }
  let regex: LinearRegex;
  try {
    regex = LinearRegex.compile(source);
  } catch (err) {
    return { ok: false, message: `is not supported: ${(err as Error).message}` };
  }
  if (!safeRegex(source)) {
    return {
      ok: false,
      message: 'can backtrack catastrophically (nested or too many repeats, e.g. "(a+)+"); simplify it',
    };
  }
  return { ok: true, regex };
}
