// Reads the server name (SNI) from the first bytes of a TLS connection, without terminating TLS: the
// bridge only needs to know where a proxy-unaware client meant to go, and hands the untouched bytes
// to the gateway, which terminates TLS for exactly that host.
//
// Pure: bytes in, a verdict out. Input is untrusted (it comes from the agent), so every length is
// checked against what was received and the total is bounded.

/** What the first bytes say so far. */
export type HelloPeek =
  | { kind: 'need-more' }
  | { kind: 'not-tls' }
  | { kind: 'tls'; serverName: string | null };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;
/** A ClientHello larger than this is not worth waiting for (real ones are a few KB at most). */
export const MAX_HELLO_BYTES = 32 * 1024;

/**
 * Looks at what a client sent first. `need-more` until a whole ClientHello has arrived (it may span
 * several TLS records and several reads); `not-tls` for anything else, including a malformed hello.
 */
export function peekServerName(data: Buffer): HelloPeek {
  if (data.length === 0) return { kind: 'need-more' };
  if (data[0] !== RECORD_HANDSHAKE) return { kind: 'not-tls' };
  const handshake = handshakeBytes(data);
  if (handshake === 'need-more')
    return data.length > MAX_HELLO_BYTES ? { kind: 'not-tls' } : { kind: 'need-more' };
  if (handshake === 'invalid') return { kind: 'not-tls' };
  if (handshake.length < 4) return { kind: 'need-more' };
  if (handshake[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'not-tls' };
  const length = handshake.readUIntBE(1, 3);
  if (length > MAX_HELLO_BYTES) return { kind: 'not-tls' };
  if (handshake.length < 4 + length) {
    return data.length > MAX_HELLO_BYTES ? { kind: 'not-tls' } : { kind: 'need-more' };
  }
  const found = serverNameOf(handshake.subarray(4, 4 + length));
  return found ? { kind: 'tls', serverName: found.name } : { kind: 'not-tls' };
}

/** The handshake-layer bytes carried by the leading run of complete handshake records. */
function handshakeBytes(data: Buffer): Buffer | 'need-more' | 'invalid' {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length < at + 5) break;
    if (data[at] !== RECORD_HANDSHAKE) break;
    if (data[at + 1] !== 0x03) return 'invalid';
    const length = data.readUInt16BE(at + 3);
    if (length === 0 || length > 16_384 + 2048) return 'invalid';
    if (data.length < at + 5 + length) break;
    parts.push(data.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return parts.length === 0 ? 'need-more' : Buffer.concat(parts);
}

/** The host_name entry of the server_name extension (null when there is none); undefined if malformed. */
function serverNameOf(hello: Buffer): { name: string | null } | undefined {
  const r = new Reader(hello);
  r.skip(2 + 32); // client_version, random
  r.skip(r.u8()); // session_id
  r.skip(r.u16()); // cipher_suites
  r.skip(r.u8()); // compression_methods
  if (r.failed) return undefined;
  if (r.remaining === 0) return { name: null }; // no extensions at all
  const end = r.at + r.u16();
  while (!r.failed && r.at + 4 <= end) {
    const type = r.u16();
    const length = r.u16();
    if (type !== EXT_SERVER_NAME) {
      r.skip(length);
      continue;
    }
    const listEnd = r.at + r.u16();
    while (!r.failed && r.at + 3 <= listEnd) {
      const nameType = r.u8();
      const name = r.bytes(r.u16());
      if (nameType === NAME_TYPE_HOST && name) {
        const host = hostName(name);
        return host === undefined ? undefined : { name: host };
      }
    }
    return r.failed ? undefined : { name: null };
  }
  return r.failed ? undefined : { name: null };
}

/** RFC 6066: ASCII, no trailing dot; anything else is not a name we can put in a CONNECT line. */
function hostName(bytes: Buffer): string | undefined {
  const name = bytes.toString('latin1').toLowerCase();
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) && name.length <= 253 ? name : undefined;
}

/** Bounds-checked reads: any read past the end sets `failed` instead of throwing. */
class Reader {
  at = 0;
  failed = false;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.at;
  }

  u8(): number {
    if (this.remaining < 1) return this.fail();
    return this.buf[this.at++]!;
  }

  u16(): number {
    if (this.remaining < 2) return this.fail();
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }

  skip(n: number): void {
    if (this.remaining < n) this.fail();
    else this.at += n;
  }

  bytes(n: number): Buffer | undefined {
    if (this.remaining < n) {
      this.fail();
      return undefined;
    }
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  private fail(): number {
    this.failed = true;
    this.at = this.buf.length;
    return 0;
  }
}
