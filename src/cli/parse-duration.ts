// Durations as people type them on the command line: `90s`, `15m`, `12h`, `30d`, `2w`, `1y`.
import { CliError } from './cli-error.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Whole seconds, or a usage error naming the flag. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d{1,6})([smhdwy])$/.exec(value.trim());
  if (!m) {
    throw new CliError(
      `invalid ${flag} ${JSON.stringify(value)}: expected a number and a unit (s, m, h, d, w, y), e.g. 30d`,
      2,
    );
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (seconds === 0)
    throw new CliError(`invalid ${flag} ${JSON.stringify(value)}: must be more than zero`, 2);
  return seconds;
}
