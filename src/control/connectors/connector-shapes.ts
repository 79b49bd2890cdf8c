// The shapes a connector's domains and auth scheme may take, shared by the API and config apply so an
// applied connector is exactly one the API would accept.
import { publicSuffixWildcard } from '../../connectors/public-suffix-wildcard.js';
import type { ConnectorType } from '../../connectors/types.js';
export const DOMAIN_PATTERN =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/;
/** Why `domain` cannot be one of a connector's domains (malformed, or a wildcard over a public suffix). */
export function domainProblem(domain: string): string | undefined {
  if (!DOMAIN_PATTERN.test(domain)) return `not a domain (host, *.host, host:port): ${domain}`;
  return publicSuffixWildcard(domain);
}

/**
 * Why a connector of this type may not allow cleartext injection, or undefined when it may. Only types
 * whose hosts the operator names (generic, mcp, webhook: no default domains) may: an internal host
 * without TLS is theirs; the built-in API connectors' services speak only HTTPS.
 */
export function cleartextNotAllowed(
  type: Pick<ConnectorType, 'type' | 'defaultDomains'>,
): string | undefined {
  if (type.defaultDomains({}).length === 0) return undefined;
  return `allow_cleartext is only for connectors to hosts you name (generic, mcp, webhook); ${type.type}'s service speaks HTTPS`;
}

export const AUTH_PATTERN = /^(bearer|basic|none|header:[A-Za-z0-9-]{1,64}|query:[A-Za-z0-9_.-]{1,64})$/;
