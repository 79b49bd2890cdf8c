// Request ids are UUIDv7 (RFC 9562 section 5.7): a 48-bit Unix millisecond timestamp, then the version,
// the variant and 74 random bits. Time-ordered on purpose: traffic_log indexes request_id, and random
// (v4) ids land all over that index, so each batch the writer commits dirties pages scattered through
// it, more of them the larger the log grows; v7 ids are appended at its end. An id is not a secret (it
// is echoed in headers and problem documents); its random part keeps ids from colliding and from being
// derived from one another, and the time it carries is in the row's created_at anyway.
import { randomFillSync } from 'node:crypto';

const IDS_PER_FILL = 128;
const random = Buffer.alloc(16 * IDS_PER_FILL);
let used = IDS_PER_FILL;
// The id's 36 characters are written into this buffer and read out as one string: concatenating 22
// pieces allocated a string per step (~600 bytes per request, the most of any single allocation of
// the pipeline's own).
const text = Buffer.alloc(36);
const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
text[8] = text[13] = text[18] = text[23] = 0x2d; // '-'

/** A new UUIDv7 for `now` (milliseconds since the epoch). */
export function newRequestId(now: number = Date.now()): string {
  if (used === IDS_PER_FILL) {
    randomFillSync(random);
    used = 0;
  }
  const r = used++ * 16;
  const ms = Math.max(0, Math.floor(now));
  const hi = Math.floor(ms / 0x1000000) % 0x1000000; // the timestamp's upper 24 bits
  const lo = ms % 0x1000000;
  const b = random;
  hex(0, hi >>> 16);
  hex(2, (hi >>> 8) & 0xff);
  hex(4, hi & 0xff);
  hex(6, lo >>> 16);
  hex(9, (lo >>> 8) & 0xff);
  hex(11, lo & 0xff);
  hex(14, 0x70 | (b[r + 6]! & 0x0f));
  hex(16, b[r + 7]!);
  hex(19, 0x80 | (b[r + 8]! & 0x3f));
  hex(21, b[r + 9]!);
  for (let i = 0; i < 6; i++) hex(24 + 2 * i, b[r + 10 + i]!);
  return text.toString('latin1', 0, 36);
}

function hex(at: number, byte: number): void {
  text[at] = DIGITS[byte >>> 4]!;
  text[at + 1] = DIGITS[byte & 0x0f]!;
}
