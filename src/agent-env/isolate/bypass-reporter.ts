// Sends the bridge's bypass attempts to the gateway, one report at a time, as the agent. Reports are
// already batched per poll by the bridge; here pending ones with the same key are folded together
// and their number is capped, so an agent hammering closed ports cannot flood the traffic log or
// grow this process's memory.
import {
  BYPASS_REPORT_HEADER,
  BYPASS_REPORT_HOST,
  BYPASS_REPORT_PORT,
  type BypassReport,
  formatBypassReport,
} from '../../wire/bypass-report.js';
import { type GatewayAddress, openGatewayTunnel } from './gateway-tunnel.js';

const MAX_PENDING = 100;
const OVERFLOW_DETAIL = 'further refused attempts (too many distinct ones to list)';

export class BypassReporter {
  readonly #gateway: GatewayAddress;
  readonly #pending = new Map<string, BypassReport>();
  #sending: Promise<void> | undefined;
  /** Reports the gateway accepted (answered), for tests and the final summary. */
  sent = 0;
  failed = 0;

  constructor(gateway: GatewayAddress) {
    this.#gateway = gateway;
  }

  add(report: BypassReport): void {
    let key = `${report.protocol}\u0000${report.destination ?? ''}\u0000${report.detail}`;
    let entry = report;
    if (!this.#pending.has(key) && this.#pending.size >= MAX_PENDING) {
      entry = { protocol: report.protocol, count: report.count, destination: null, detail: OVERFLOW_DETAIL };
      key = `${report.protocol}\u0000\u0000${OVERFLOW_DETAIL}`;
    }
    const existing = this.#pending.get(key);
    if (existing) existing.count = Math.min(1_000_000, existing.count + entry.count);
    else this.#pending.set(key, { ...entry });
    this.#sending ??= this.#drain().finally(() => {
      this.#sending = undefined;
    });
  }

  /** Resolves when nothing is pending (or after `timeoutMs`, when the gateway is slow or gone). */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#sending && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#sending,
        new Promise((r) => {
          timer = setTimeout(r, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
  }

  async #drain(): Promise<void> {
    for (;;) {
      const next = this.#pending.entries().next();
      if (next.done) return;
      const [key, report] = next.value;
      this.#pending.delete(key);
      try {
        const answer = await openGatewayTunnel(this.#gateway, BYPASS_REPORT_HOST, BYPASS_REPORT_PORT, {
          [BYPASS_REPORT_HEADER]: formatBypassReport(report),
        });
        answer.socket.destroy();
        this.sent++;
      } catch {
        this.failed++; // the gateway is unreachable: the agent's requests fail too, nothing to add
      }
    }
  }
}
