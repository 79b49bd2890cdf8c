// Threat model: anyone who can reach a gateway port may try to act as an agent. An agent is named
// by Proxy-Authorization (`NAME:KEY`) on the shared port, or by its dedicated port plus the key (unless
// the operator created it with --no-proxy-auth, which trusts the port alone). Controls: keys are
// stored only as SHA-256 hashes (they are 256-bit random, so a fast hash suffices); comparison is
// timing-safe; expired session keys are skipped; a wrong key and an unknown name give the same 407, so
// the answer does not reveal which agents exist; suspension is only revealed to a caller who proved
// the key. No answer is cached between requests (only hex hashes decoded to bytes): every request (and
// every request inside a tunnel) is checked against the current configuration, so removal, suspension
// or key revocation applies at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SnapshotAgent } from '../../sync/snapshot.js';

export interface AgentDirectory {
  agentsByName: ReadonlyMap<string, SnapshotAgent>;
  agentsByPort: ReadonlyMap<number, SnapshotAgent>;
}

/** What the agent presented, kept for re-checks inside a tunnel: the key's hash, never the key. */
export interface PresentedIdentity {
  name: string; // from Proxy-Authorization, '' when absent
  keyHash: string | null; // hex SHA-256 of the presented key, null when no key was given
  dedicatedPort: number | null; // the agent port the request arrived on
}

export type IdentityResult =
  | { ok: true; agent: SnapshotAgent }
  | { ok: false; code: 'agent_unknown' | 'agent_suspended'; detail: string; agent?: string | undefined };

export function hashAgentKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parses `Basic base64(NAME:KEY)`; undefined when absent or not Basic. */
export function parseProxyAuthorization(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { username: decoded, password: '' };
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function presentedIdentity(
  username: string,
  password: string,
  dedicatedPort: number | null,
): PresentedIdentity {
  return {
    name: decodeURIComponentSafe(username),
    keyHash: password ? hashAgentKey(decodeURIComponentSafe(password)) : null,
    dedicatedPort,
  };
}

/** No credentials at all: the answer is an authentication challenge, not a refusal of an attempt. */
export function presentedNothing(who: PresentedIdentity): boolean {
  return who.keyHash === null && who.name === '';
}

export function identify(dir: AgentDirectory, who: PresentedIdentity, now: Date): IdentityResult {
  let agent: SnapshotAgent | undefined;
  if (who.dedicatedPort !== null) {
    agent = dir.agentsByPort.get(who.dedicatedPort);
    if (!agent) return unknown('this port belongs to no agent');
    if (who.name && who.name !== agent.name) return unknown('the proxy user name does not match this port');
    if (agent.proxyAuth && !keyMatches(agent, who, now)) return unknown(keyProblem(who));
  } else {
    if (!who.name) return unknown('proxy credentials are required: http://NAME:KEY@gateway:port');
    agent = dir.agentsByName.get(who.name);
    // Hash work is done either way, so an unknown name costs what a wrong key costs.
    const ok = keyMatches(agent, who, now);
    if (!agent || !ok) return unknown(keyProblem(who));
  }
  if (agent.status !== 'active') {
    return {
      ok: false,
      code: 'agent_suspended',
      detail: `agent ${agent.name} is suspended`,
      agent: agent.name,
    };
  }
  return { ok: true, agent };
}

function keyMatches(agent: SnapshotAgent | undefined, who: PresentedIdentity, now: Date): boolean {
  const presented = presentedBytes(who);
  let ok = false;
  for (const key of agent?.keys ?? []) {
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) continue;
    const stored = storedBytes(key.hash);
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) ok = true;
  }
  return ok && who.keyHash !== null;
}

// Every request inside a tunnel is re-identified, so the same hex hashes are decoded again and again;
// their bytes are kept. The presented hash's on the identity object (one per tunnel), checked against
// its hex so it is always the decoding of what is there now; the stored hashes' by their own hex text,
// which only ever meets other stored hashes (an agent's input is never a lookup key there), bounded.
const NO_KEY = Buffer.alloc(32);
const presentedCache = new WeakMap<PresentedIdentity, { hex: string; bytes: Buffer }>();
const storedCache = new Map<string, Buffer>();

function presentedBytes(who: PresentedIdentity): Buffer {
  if (who.keyHash === null) return NO_KEY;
  const cached = presentedCache.get(who);
  if (cached !== undefined && cached.hex === who.keyHash) return cached.bytes;
  const bytes = Buffer.from(who.keyHash, 'hex');
  presentedCache.set(who, { hex: who.keyHash, bytes });
  return bytes;
}

function storedBytes(hex: string): Buffer {
  let bytes = storedCache.get(hex);
  if (bytes === undefined) {
    bytes = Buffer.from(hex, 'hex');
    if (storedCache.size >= 4096) storedCache.clear();
    storedCache.set(hex, bytes);
  }
  return bytes;
}

function keyProblem(who: PresentedIdentity): string {
  return who.keyHash === null
    ? 'an agent key is required as the proxy password'
    : 'unknown agent or invalid, expired or revoked key';
}

function unknown(detail: string): IdentityResult {
  return { ok: false, code: 'agent_unknown', detail };
}

function decodeURIComponentSafe(text: string): string {
  // Clients percent-encode user info from proxy URLs inconsistently; keys and names are URL-safe.
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
