// Credential injection adapted to raw header lists. `applyCredential` (pure, in src/connectors)
// works on a header record; the forwarder keeps Node's flat raw list so the case, order and
// repetition of the agent's other headers survive, so this file translates both ways.

import type { Secret } from '../../config/secret.js';
import { applyCredential, credentialHeaderNames } from '../../connectors/credential.js';
import type { ConnectorType } from '../../connectors/types.js';
import type { SnapshotConnector } from '../../sync/snapshot.js';
import { forwardRequestHeaders } from './forward-headers.js';

export interface PreparedUpstreamRequest {
  headers: string[];
  path: string;
}

/** Headers and path to send upstream: hop-by-hop removed, the stored credential injected. */
export function prepareUpstreamRequest(
  admitted: { connector: Pick<SnapshotConnector, 'auth'>; type: Pick<ConnectorType, 'credentialHeaders'> },
  rawHeaders: readonly string[],
  target: string,
  secret: Secret | undefined,
  opts: { authority: string; websocket?: boolean },
): PreparedUpstreamRequest {
  const forwarded = forwardRequestHeaders(rawHeaders, opts);
  const scheme = admitted.connector.auth;
  if (secret === undefined || scheme === 'none') return { headers: forwarded, path: target };

  const byQuery = scheme.startsWith('query:');
  const queryAt = byQuery ? target.indexOf('?') : -1;
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  // applyCredential removes or sets only the headers a credential may travel in (the connector
  // type's list and the scheme's own) and copies every other one unchanged, so only those are handed
  // to it; and a header scheme leaves the query alone, so it gets an empty one.
  const involved = credentialHeaderNames(scheme, admitted.type.credentialHeaders);
  const before: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < forwarded.length; i += 2) {
    const name = forwarded[i]!.toLowerCase();
    if (!involved.has(name)) continue;
    const value = forwarded[i + 1]!;
    const prev = before[name];
    before[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const query = byQuery ? new URLSearchParams(queryAt < 0 ? '' : target.slice(queryAt + 1)) : NO_QUERY;
  const out = applyCredential(
    { headers: before, path, query },
    scheme,
    secret.reveal(),
    admitted.type.credentialHeaders,
  );

  // Keep every header the injection left alone in its original spelling and place; drop the ones
  // it removed or replaced; append the replacements.
  let changed: Set<string> | undefined;
  for (const name of Object.keys(before)) {
    const after = out.headers[name];
    if (after !== undefined && sameValue(after, before[name]!)) continue;
    changed ??= new Set();
    changed.add(name);
  }
  let headers = forwarded;
  if (changed !== undefined) {
    headers = [];
    for (let i = 0; i + 1 < forwarded.length; i += 2) {
      if (!changed.has(forwarded[i]!.toLowerCase())) headers.push(forwarded[i]!, forwarded[i + 1]!);
    }
  }
  for (const name of Object.keys(out.headers)) {
    const value = out.headers[name];
    if (value === undefined) continue;
    if (name in before && !changed?.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.push(name, v);
  }
  if (!byQuery) return { headers, path: target };
  // Only a query credential rewrites the query (re-encoding it); otherwise it goes out as received.
  const search = out.query.toString();
  return { headers, path: search ? `${path}?${search}` : path };
}

// Never mutated: applyCredential copies the query it is given.
const NO_QUERY = new URLSearchParams();

function sameValue(a: string | string[], b: string | string[]): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
