// Bypass attempts reported by `run --isolate`: a connection the agent tried inside its namespace that
// did not go through the gateway (another port, UDP, TLS without a name) was refused there at once;
// its relay reports it here as a CONNECT to a reserved `.invalid` name (src/wire/bypass-report.ts).
//
// Threat model: the report arrives like any request, after the agent's identity was checked, so it
// can only ever be recorded under the agent that sent it; an agent can add rows about itself (it
// could make failed requests anyway) but not about another. The header is validated and bounded;
// one report is one row however many attempts it folds together, so a flood of attempts costs one
// row per report, and the relay sends at most about one per second per kind.
import type { ErrorCode } from '../../errors/codes.js';
import { BYPASS_REPORT_HOST, parseBypassReport } from '../../wire/bypass-report.js';
import type { GatewayMetrics } from '../api/gateway-metrics.js';
import type { RequestRecord } from '../pipeline/request-record.js';

export function isBypassReport(host: string): boolean {
  return host === BYPASS_REPORT_HOST;
}

/**
 * Turns the report into its traffic row (method TCP/UDP, the destination when known), counts it, and
 * returns the refusal to answer with: `bypass_attempt`, or `bad_request` for a malformed report.
 */
export function recordBypassReport(
  record: RequestRecord,
  metrics: GatewayMetrics,
  header: string | string[] | undefined,
): { code: ErrorCode; detail: string } {
  const report = parseBypassReport(header);
  if (!report) {
    const detail = 'malformed bypass report';
    record.refused('bad_request', detail);
    return { code: 'bad_request', detail };
  }
  const destination = report.destination ?? '*:*';
  record.entry.method = report.protocol.toUpperCase();
  record.entry.host = hostOf(destination);
  record.entry.path = destination;
  const detail = report.count > 1 ? `${report.detail} (${report.count} attempts)` : report.detail;
  record.refused('bypass_attempt', detail);
  metrics.bypassAttempts.inc({ protocol: report.protocol }, report.count);
  return { code: 'bypass_attempt', detail };
}

/** `10.0.0.1:5432` → `10.0.0.1`, `[::1]:53` → `::1`. */
function hostOf(destination: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(destination);
  if (v6) return v6[1]!;
  const colon = destination.lastIndexOf(':');
  return colon > 0 ? destination.slice(0, colon) : destination;
}
