// Decision tokens across the split (issue 13 item 4; the seed's partition rule): a token is checked
// against the control plane the gateway follows (its JWKS, then its nonce), so while that control
// plane is unreachable tokens are skipped at once and only local permissions decide. The gate sits
// in front of the redeemer: it skips without waiting for a timeout when the link is known to be
// down, counts what happened to tokens, and tells /health and the log when tokens are skipped.
//
// Threat model: skipping only ever makes a token worthless (the request is decided as if it had
// none), never lets one through unverified; an agent cannot make the gateway skip verification for
// a request the link could have verified.
import type { Logger } from 'pino';
import type { DecisionTokenCheck } from '../gateway/pipeline/decision-token-step.js';
import { CONTROL_PLANE_UNREACHABLE } from '../tokens/decision-token-redeemer.js';

export interface DecisionTokenGateDeps {
  check: DecisionTokenCheck;
  /** The configuration stream's state: false while the control plane is unreachable, undefined when none is followed. */
  linkUp: () => boolean | undefined;
  logger: Logger;
  now: () => Date;
}

export interface DecisionTokenHealth {
  /** `control_plane`: tokens are verified there; `skipped`: it is unreachable, local permissions decide. */
  verification: 'control_plane' | 'skipped' | 'not_configured';
  accepted: number;
  refused: number;
  skipped: number;
  last_skipped_at: string | null;
}

export interface DecisionTokenGate {
  check: DecisionTokenCheck;
  health(): DecisionTokenHealth;
}

export function createDecisionTokenGate(deps: DecisionTokenGateDeps): DecisionTokenGate {
  const counts = { accepted: 0, refused: 0, skipped: 0 };
  let lastSkippedAt: string | null = null;
  let warnedDown = false;

  const skip = (agent: string, action: string) => {
    counts.skipped++;
    lastSkippedAt = deps.now().toISOString();
    // Once per outage, not once per request.
    if (!warnedDown) {
      warnedDown = true;
      deps.logger.warn(
        { agent, action },
        'decision tokens skipped: the control plane is unreachable; local permissions decide until it is back',
      );
    }
    return {
      ok: false as const,
      reason: `not verified: ${CONTROL_PLANE_UNREACHABLE} (tokens are skipped; local permissions decide)`,
    };
  };

  return {
    async check(token, expect) {
      const up = deps.linkUp();
      if (up === false) return skip(expect.agent, expect.action);
      if (up) warnedDown = false;
      const result = await deps.check(token, expect);
      if (result.ok) {
        counts.accepted++;
      } else if (result.reason === CONTROL_PLANE_UNREACHABLE) {
        return skip(expect.agent, expect.action);
      } else {
        counts.refused++;
      }
      return result;
    },
    health() {
      const up = deps.linkUp();
      return {
        verification: up === undefined ? 'not_configured' : up ? 'control_plane' : 'skipped',
        ...counts,
        last_skipped_at: lastSkippedAt,
      };
    },
  };
}
