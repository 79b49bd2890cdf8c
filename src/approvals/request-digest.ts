// The identity of a held request: a SHA-256 over the agent, the method, the full URL (scheme, host,
// port, path and query, values included) and the body. Two requests with the same digest are the
// same request, so a retry joins the pending approval and an approved one may pass once. Only the
// digest is stored: the body itself never leaves the gateway's memory.
import { createHash } from 'node:crypto';

export interface DigestInput {
  agent: string;
  method: string;
  /** `https://api.github.com:443/repos/o/r/pulls/1/merge?x=1`; a raw tunnel is `connect://host:port`. */
  url: string;
  body: Buffer | undefined;
}

export function requestDigest(input: DigestInput): string {
  const bodyHash = createHash('sha256')
    .update(input.body ?? Buffer.alloc(0))
    .digest('hex');
  // Length-prefixed fields: no choice of agent name or URL can shift bytes into another field.
  const h = createHash('sha256');
  for (const field of [input.agent, input.method.toUpperCase(), input.url, bodyHash]) {
    h.update(`${Buffer.byteLength(field)}:`).update(field);
  }
  return h.digest('hex');
}

/** The URL a digest covers; default ports are written out so `host` and `host:443` agree. */
export function digestUrl(target: { secure: boolean; host: string; port: number; path: string }): string {
  const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
  return `${target.secure ? 'https' : 'http'}://${host}:${target.port}${target.path}`;
}
