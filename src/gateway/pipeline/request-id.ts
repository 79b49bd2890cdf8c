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
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
  return (
    HEX[hi >>> 16]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    HEX[lo >>> 16]! +
    '-' +
    HEX[(lo >>> 8) & 0xff]! +
    HEX[lo & 0xff]! +
    '-' +
    HEX[0x70 | (b[r + 6]! & 0x0f)]! +
    HEX[b[r + 7]!]! +
    '-' +
    HEX[0x80 | (b[r + 8]! & 0x3f)]! +
    HEX[b[r + 9]!]! +
    '-' +
    HEX[b[r + 10]!]! +
    HEX[b[r + 11]!]! +
    HEX[b[r + 12]!]! +
    HEX[b[r + 13]!]! +
    HEX[b[r + 14]!]! +
    HEX[b[r + 15]!]!
  );
}
