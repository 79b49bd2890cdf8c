// The gateway's approval metrics: how many requests are held now, how each hold ended and how long it
// lasted. Labels stay low-cardinality (the outcome only), like the other gateway metrics.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type HoldEnd =
  | 'approved'
  | 'granted'
  | 'retry'
  | 'denied'
  | 'timeout'
  | 'abandoned'
  | 'kill_switch'
  | 'unavailable'
  | 'used'
  | 'refused';

export interface HoldMetrics {
  held: Gauge<string>;
  ended(outcome: HoldEnd, seconds: number): void;
}

export function createHoldMetrics(registry: Registry): HoldMetrics {
  const registers = [registry];
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const held =
    existing<Gauge<string>>('tameflare_gateway_approval_holds') ??
    new Gauge({
      name: 'tameflare_gateway_approval_holds',
      help: 'Requests held for approval now',
      registers,
    });
  const total =
    existing<Counter<'outcome'>>('tameflare_gateway_approval_holds_total') ??
    new Counter({
      name: 'tameflare_gateway_approval_holds_total',
      help: 'Requests that needed approval, by how their hold ended',
      labelNames: ['outcome'],
      registers,
    });
  const duration =
    existing<Histogram<'outcome'>>('tameflare_gateway_approval_hold_seconds') ??
    new Histogram({
      name: 'tameflare_gateway_approval_hold_seconds',
      help: 'How long requests were held for approval, by how the hold ended',
      labelNames: ['outcome'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 180, 299],
      registers,
    });
  return {
    held,
    ended(outcome, seconds) {
      total.inc({ outcome });
      duration.observe({ outcome }, seconds);
    },
  };
}
