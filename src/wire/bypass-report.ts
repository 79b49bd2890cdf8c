// How `run --isolate` tells the gateway about a bypass attempt: a CONNECT, authenticated as the agent
// like any other, to a reserved name under `.invalid` (RFC 6761: never a real host, so no connector
// can cover it), with the attempt described in one header. The gateway records it as a refused
// request with the code `bypass_attempt`; because the report carries the agent's own credentials, an
// agent can only ever add rows to its own name.
//
// Pure: shared by the relay that sends reports (src/agent-env/isolate/) and the gateway that reads
// them (src/gateway/listen/bypass-report.ts).

export const BYPASS_REPORT_HOST = 'bypass.tameflare.invalid';
/** Any port: the name alone marks a report. */
export const BYPASS_REPORT_PORT = 9;
export const BYPASS_REPORT_HEADER = 'tameflare-bypass';

export interface BypassReport {
  protocol: 'tcp' | 'udp';
  /** Attempts folded into this report (the bridge batches them per poll). */
  count: number;
  /** `host:port` when known; null when only the kernel's counters saw the attempt. */
  destination: string | null;
  detail: string;
}

const MAX_COUNT = 1_000_000;
const MAX_DETAIL = 200;

/** The header value: JSON, with anything outside printable ASCII escaped so it is a valid header. */
export function formatBypassReport(report: BypassReport): string {
  return JSON.stringify(report).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Reads a report header; undefined when it is absent or not a valid report. */
export function parseBypassReport(value: string | string[] | undefined): BypassReport | undefined {
  if (typeof value !== 'string' || value.length > 1024) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const protocol = r['protocol'];
  const count = r['count'];
  const destination = r['destination'];
  const detail = r['detail'];
  if (protocol !== 'tcp' && protocol !== 'udp') return undefined;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_COUNT)
    return undefined;
  if (
    destination !== null &&
    (typeof destination !== 'string' || !/^[A-Za-z0-9_.:[\]-]{1,300}$/.test(destination))
  )
    return undefined;
  if (typeof detail !== 'string' || detail.length > MAX_DETAIL || /[\u0000-\u001f\u007f]/.test(detail))
    return undefined;
  return { protocol, count, destination, detail };
}
