// The gateway registers with its control plane and keeps reporting: its public address, its CA
// certificate, its agent port range and which ports it could open, the configuration version it
// runs and its outbox backlog. Reports go at start, every REGISTRATION_INTERVAL_MS, and soon after
// anything changes. Like the rest of the link this is optional: a failed report is retried, it never
// stops the gateway, and /health says what went wrong.
import type { Logger } from 'pino';
import type { Secret } from '../config/secret.js';
import {
  GATEWAY_REGISTER_PATH,
  type GatewayRegistration,
  REGISTRATION_INTERVAL_MS,
  type RegistrationAck,
} from './gateway-registration.js';

export interface GatewayReporterDeps {
  controlPlaneUrl: string;
  serviceToken: Secret;
  /** Built fresh for every report. */
  registration(): GatewayRegistration;
  logger: Logger;
  intervalMs?: number | undefined;
}

export interface ReporterState {
  registered: boolean;
  lastReportAt: string | null;
  lastError: string | null;
  /** The configuration version the control plane holds for this gateway, as of the last report. */
  controlConfigVersion: number | null;
}

export interface GatewayReporter {
  state(): ReporterState;
  /** Reports now; resolves whether the control plane took it (never rejects). */
  reportNow(): Promise<boolean>;
  /** Reports shortly, coalescing bursts of changes into one report. */
  soon(): void;
  close(): void;
}

export function startGatewayReporter(deps: GatewayReporterDeps): GatewayReporter {
  const base = deps.controlPlaneUrl.replace(/\/+$/, '');
  const state: ReporterState = {
    registered: false,
    lastReportAt: null,
    lastError: null,
    controlConfigVersion: null,
  };
  let closed = false;
  let inFlight: Promise<boolean> | undefined;
  let again = false;
  let soonTimer: NodeJS.Timeout | undefined;

  async function send(): Promise<boolean> {
    try {
      const res = await fetch(`${base}${GATEWAY_REGISTER_PATH}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${deps.serviceToken.reveal()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(deps.registration()),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(refusal(res.status, text));
      const ack = JSON.parse(text) as RegistrationAck;
      if (!state.registered) deps.logger.info({ controlPlane: base }, 'registered with the control plane');
      state.registered = true;
      state.lastError = null;
      state.lastReportAt = new Date().toISOString();
      state.controlConfigVersion = ack.config_version;
      return true;
    } catch (err) {
      const message = (err as Error).message;
      // Logged when it changes, not every interval while the control plane is down.
      if (message !== state.lastError)
        deps.logger.warn({ err: message }, 'could not report to the control plane');
      state.lastError = message;
      return false;
    }
  }

  function reportNow(): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      let ok = false;
      do {
        again = false;
        ok = await send();
      } while (again && !closed);
      return ok;
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const timer = setInterval(() => void reportNow(), deps.intervalMs ?? REGISTRATION_INTERVAL_MS);
  timer.unref();

  return {
    state: () => ({ ...state }),
    reportNow,
    soon() {
      if (closed || soonTimer) return;
      soonTimer = setTimeout(() => {
        soonTimer = undefined;
        void reportNow();
      }, 200);
      soonTimer.unref();
    },
    close() {
      closed = true;
      clearInterval(timer);
      if (soonTimer) clearTimeout(soonTimer);
    },
  };
}

/** The control plane's problem detail when it sent one, else the status. */
function refusal(status: number, body: string): string {
  try {
    const problem = JSON.parse(body) as { detail?: unknown };
    if (typeof problem.detail === 'string') return `registration refused (HTTP ${status}): ${problem.detail}`;
  } catch {
    // not JSON
  }
  return `registration refused (HTTP ${status})`;
}
