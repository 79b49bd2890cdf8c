// The isolated namespace's resolver, reduced to what it needs: every name is 127.0.0.1, so a
// proxy-unaware client connects to the bridge's listeners and says (by SNI or Host) where it meant to
// go. IPv4 only: AAAA and every other type get an empty answer (NOERROR, no records), which makes
// clients fall back to the A record instead of failing.
//
// Pure: a query datagram in, a response datagram out. Queries come from the agent: anything
// malformed gets FORMERR (or nothing, when not even the header can be read); nothing is recursed,
// so no name, and no data encoded in a name, leaves the namespace.

const TYPE_A = 1;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const RCODE_FORMERR = 1;
const RCODE_NOTIMP = 4;
/** Seconds a client may cache the answer; it never changes inside one namespace. */
const TTL = 60;
const LOOPBACK = [127, 0, 0, 1];

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

/** The response to send back, or undefined when the datagram is not worth answering. */
export function answerDnsQuery(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const flags = query.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response, not a query: never answer those (no loops)
  const opcode = (flags >> 11) & 0x0f;
  const qdcount = query.readUInt16BE(4);
  if (opcode !== 0) return header(query, RCODE_NOTIMP, 0, 0);
  if (qdcount !== 1) return header(query, RCODE_FORMERR, 0, 0);
  const parsed = readQuestion(query, 12);
  if (!parsed) return header(query, RCODE_FORMERR, 0, 0);
  const { question, end } = parsed;
  const answers = question.class === CLASS_IN && (question.type === TYPE_A || question.type === TYPE_ANY);
  const questionBytes = query.subarray(12, end);
  const parts = [header(query, 0, 1, answers ? 1 : 0), questionBytes];
  if (answers) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(TTL, 6);
    record.writeUInt16BE(4, 10);
    Buffer.from(LOOPBACK).copy(record, 12);
    parts.push(record);
  }
  return Buffer.concat(parts);
}

/** The question at `offset`: labels without compression (a query has nothing to point back to). */
export function readQuestion(
  msg: Buffer,
  offset: number,
): { question: DnsQuestion; end: number } | undefined {
  const labels: string[] = [];
  let at = offset;
  let total = 0;
  for (;;) {
    if (at >= msg.length) return undefined;
    const length = msg[at]!;
    at += 1;
    if (length === 0) break;
    if (length > 63) return undefined; // compression or reserved bits
    total += length + 1;
    if (total > 255 || at + length > msg.length) return undefined;
    labels.push(msg.subarray(at, at + length).toString('latin1'));
    at += length;
  }
  if (at + 4 > msg.length) return undefined;
  const question = { name: labels.join('.'), type: msg.readUInt16BE(at), class: msg.readUInt16BE(at + 2) };
  return { question, end: at + 4 };
}

/** A response header echoing the query's id and RD bit; authoritative, recursion "available". */
function header(query: Buffer, rcode: number, qdcount: number, ancount: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  const opcode = (query.readUInt16BE(2) >> 11) & 0x0f;
  const rd = query.readUInt16BE(2) & 0x0100;
  out.writeUInt16BE(0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode, 2);
  out.writeUInt16BE(qdcount, 4);
  out.writeUInt16BE(ancount, 6);
  return out;
}
