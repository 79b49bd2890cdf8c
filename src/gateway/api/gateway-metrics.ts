// The gateway's Prometheus metrics, registered on the registry the daemon gives us. Labels stay
// low-cardinality on purpose: decision and code, never agent names or hosts (those belong in the
// traffic log, which an operator can query without blowing up a time-series database).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'decision' | 'code'>;
  latency: Histogram<'decision'>;
  upstreamErrors: Counter<'kind'>;
  rateLimited: Counter<string>;
  activeTunnels: Gauge<'kind'>;
  leafCertsMinted: Counter<string>;
  killSwitchCuts: Counter<string>;
  bypassAttempts: Counter<'protocol'>;
  tlsRejected: Counter<'alert'>;
  /** One finished request: counter and latency, through label-bound children cached per label set. */
  observeRequest(decision: string, code: string, seconds: number): void;
}

export function createGatewayMetrics(registry: Registry, queued: () => number): GatewayMetrics {
  // A second gateway built on the same registry (tests, a restart in-process) reuses the metrics
  // instead of failing on a duplicate name.
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  const registers = [registry];
  const queueName = 'tameflare_gateway_traffic_log_queued';
  registry.removeSingleMetric(queueName); // its collect() closes over this gateway's writer
  new Gauge({
    name: queueName,
    help: 'Traffic log rows and outbox events waiting for the next batched write',
    registers,
    collect() {
      this.set(queued());
    },
  });
  const requests = (existing('tameflare_gateway_requests_total') ??
    new Counter({
      name: 'tameflare_gateway_requests_total',
      help: 'Requests handled by the gateway, by decision and code',
      labelNames: ['decision', 'code'],
      registers,
    })) as Counter<'decision' | 'code'>;
  const latency = (existing('tameflare_gateway_request_duration_seconds') ??
    new Histogram({
      name: 'tameflare_gateway_request_duration_seconds',
      help: 'Time from receipt to the end of the response, by decision',
      labelNames: ['decision'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    })) as Histogram<'decision'>;
  // Resolving label values hashes them on every call; the label sets are few, so bind them once.
  // Keyed by decision, then code: no key string built per request.
  const counters = new Map<string, Map<string, { inc(): void }>>();
  const histograms = new Map<string, { observe(v: number): void }>();
  return {
    observeRequest(decision, code, seconds) {
      let byCode = counters.get(decision);
      if (!byCode) {
        byCode = new Map();
        counters.set(decision, byCode);
      }
      let c = byCode.get(code);
      if (!c) {
        c = requests.labels(decision, code);
        byCode.set(code, c);
      }
      c.inc();
      let h = histograms.get(decision);
      if (!h) {
        h = latency.labels(decision);
        histograms.set(decision, h);
      }
      h.observe(seconds);
    },
    requests,
    latency,
    upstreamErrors:
      existing('tameflare_gateway_upstream_errors_total') ??
      new Counter({
        name: 'tameflare_gateway_upstream_errors_total',
        help: 'Upstream failures by kind (unreachable, timeout, egress_blocked, tls, reset)',
        labelNames: ['kind'],
        registers,
      }),
    rateLimited:
      existing('tameflare_gateway_rate_limited_total') ??
      new Counter({
        name: 'tameflare_gateway_rate_limited_total',
        help: 'Requests refused with 429',
        registers,
      }),
    activeTunnels:
      existing('tameflare_gateway_active_tunnels') ??
      new Gauge({
        name: 'tameflare_gateway_active_tunnels',
        help: 'Open CONNECT tunnels by kind (intercepted, raw) and open WebSockets',
        labelNames: ['kind'],
        registers,
      }),
    leafCertsMinted:
      existing('tameflare_gateway_leaf_certificates_minted_total') ??
      new Counter({
        name: 'tameflare_gateway_leaf_certificates_minted_total',
        help: 'Leaf certificates minted for intercepted hosts',
        registers,
      }),
    bypassAttempts:
      existing('tameflare_gateway_bypass_attempts_total') ??
      new Counter({
        name: 'tameflare_gateway_bypass_attempts_total',
        help: 'Connections refused inside `run --isolate` namespaces, as reported by their relay, by protocol',
        labelNames: ['protocol'],
        registers,
      }),
    tlsRejected:
      existing('tameflare_gateway_tls_rejected_total') ??
      new Counter({
        name: 'tameflare_gateway_tls_rejected_total',
        help: "Intercepted handshakes the agent aborted because it did not trust the gateway's certificate, by TLS alert",
        labelNames: ['alert'],
        registers,
      }),
    killSwitchCuts:
      existing('tameflare_gateway_kill_switch_cuts_total') ??
      new Counter({
        name: 'tameflare_gateway_kill_switch_cuts_total',
        help: 'Open tunnels and streams cut because the configuration no longer allows them',
        registers,
      }),
  };
}
