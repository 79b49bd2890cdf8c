// An agent that does not trust the gateway's CA aborts the intercepted handshake with a TLS alert
// (unknown_ca, bad_certificate, certificate_unknown...) right after our ServerHello. Without this it
// failed with no trace at all: the agent said "certificate verify failed" and the operator saw
// nothing. Each rejection is counted (`tameflare_gateway_tls_rejected_total{alert}`), recorded as a
// traffic row with the code `tls_certificate_rejected`, and logged at warn level once per agent and
// host, with the fix.
//
// Threat model: the alert comes from the agent, after it was identified at CONNECT, so the rows can
// only be about itself; logging once per agent and host (a bounded set) keeps a client retrying in a
// loop from flooding the log, while every attempt still counts and gets its row.
// Node clients verify after the handshake completes and close without an alert: they are not seen.

import type { Logger } from 'pino';
import { newRequestId } from '../pipeline/request-id.js';
import { type RecordDeps, RequestRecord } from '../pipeline/request-record.js';
import type { TunnelContext } from './interception.js';

const CERTIFICATE_ALERT =
  /^ERR_SSL_(?:SSLV3|TLSV1)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;
const LOGGED_MAX = 10_000;

export const TLS_REJECTED_FIX =
  'the client does not trust the TameFlare CA: start it with `tameflare run` (or `eval "$(tameflare env)"`), which sets the CA for each runtime; `tameflare doctor --agent NAME` names what a runtime is missing (docs/agents.md)';

/** The alert's name (`unknown_ca`) when `err` is a client rejecting our certificate, else undefined. */
export function certificateAlert(err: Error): string | undefined {
  const m = CERTIFICATE_ALERT.exec((err as NodeJS.ErrnoException).code ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

export function createTlsRejectionReporter(deps: { records: RecordDeps; logger: Logger }) {
  const logged = new Set<string>();
  return function report(err: Error, ctx: TunnelContext): boolean {
    const alert = certificateAlert(err);
    if (!alert) return false;
    deps.records.metrics.tlsRejected.inc({ alert });
    const detail = `the agent rejected the gateway's certificate for ${ctx.host} (TLS alert ${alert})`;
    const record = new RequestRecord(deps.records, {
      requestId: newRequestId(),
      method: 'TLS',
      host: ctx.host,
      path: `${ctx.host}:${ctx.port}`,
      agent: ctx.agent,
    });
    record.open();
    record.refused('tls_certificate_rejected', detail);
    record.finish({ status: null, error: 'tls_certificate_rejected' });
    const key = `${ctx.agent}\u0000${ctx.host}`;
    if (!logged.has(key)) {
      if (logged.size >= LOGGED_MAX) logged.clear();
      logged.add(key);
      deps.logger.warn(
        { agent: ctx.agent, host: ctx.host, alert, code: 'tls_certificate_rejected', fix: TLS_REJECTED_FIX },
        `agent ${ctx.agent} rejected the gateway's certificate for ${ctx.host} (${alert}): ${TLS_REJECTED_FIX}`,
      );
    }
    return true;
  };
}
