// `approvals approve --for DURATION`: minutes are the unit of a grant, written the way people say them.
import { MAX_GRANT_MINUTES } from '../wire/approvals.js';

/** `15m`, `2h`, `1h30m`, `1d`, or a bare number of minutes; returns minutes, or an error message. */
export function parseGrantDuration(text: string): number | string {
  const t = text.trim().toLowerCase();
  let minutes: number;
  if (/^\d+$/.test(t)) minutes = Number(t);
  else {
    const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(t);
    if (!m || t === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
      return `invalid duration ${JSON.stringify(text)}: use minutes (30), 30m, 2h, 1h30m or 1d`;
    }
    minutes = Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  }
  if (minutes < 1 || minutes > MAX_GRANT_MINUTES) {
    return `invalid duration ${JSON.stringify(text)}: a grant lasts 1 minute to ${MAX_GRANT_MINUTES / 60} hours`;
  }
  return minutes;
}
