// The gateway's services, built from explicit inputs for buildGateway: the traffic log writer, the
// vault, the configuration cache, the upstream pool (with its egress guard), the leaf certificate
// cache and the metrics. The composition root builds them once per gateway and closes them after
// the gateway has stopped, in reverse order.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ConnectToRule } from '../config/config.js';
import type { Secret } from '../config/secret.js';
import { createGatewayMetrics } from '../gateway/api/gateway-metrics.js';
import { createApprovalLink } from '../gateway/approvals/approval-link.js';
import { createEgressGuard } from '../gateway/egress/egress-guard.js';
import { Upstream } from '../gateway/forward/upstream.js';
import type { GatewayServices } from '../gateway/gateway.js';
import { ConfigStore } from '../gateway/state/config-store.js';
import type { CertificateAuthority } from '../gateway/tls/certificate-authority.js';
import { LeafCertificateCache } from '../gateway/tls/leaf-certificates.js';
import { type TrafficLogDurability, TrafficLogWriter } from '../gateway/traffic-log/traffic-log-writer.js';
import type { GatewayDatabase } from '../storage/gateway-schema.js';
import type { OpenedDatabase } from '../storage/open-database.js';
import { VaultStore } from '../vault/vault-store.js';

export interface GatewayServiceInputs {
  db: OpenedDatabase<GatewayDatabase>;
  /** The interception CA leaves are minted from. */
  ca: CertificateAuthority;
  masterKey: Buffer;
  upstream: {
    caPems: readonly string[]; // extra roots for upstream TLS verification (--upstream-ca)
    connectTo: readonly ConnectToRule[]; // --connect-to
    allowPrivateEgress: readonly string[]; // CIDRs (--unsafe-allow-private-egress)
    headersTimeoutMs?: number | undefined; // dispatch to response headers; 504 beyond (default 300 s)
    connectTimeoutMs?: number | undefined; // TCP connect and TLS handshake; 504 beyond (default 10 s)
  };
  /** `strict`: a forwarded request's arrival row is committed before the upstream is dialled. */
  trafficLogDurability?: TrafficLogDurability | undefined;
  registry: Registry;
  logger: Logger;
  now: () => Date;
  /** The control plane that holds approvals, once known (undefined: none, holds are refused). */
  approvals?: { gatewayName: string; target(): { url: string; token: Secret } | undefined } | undefined;
}

export interface OwnedGatewayServices extends GatewayServices {
  /** Flushes the traffic log and releases the upstream pool; the database stays open (its opener closes it). */
  close(): Promise<void>;
}

export function createGatewayServices(inputs: GatewayServiceInputs): OwnedGatewayServices {
  const { db, logger, now } = inputs;
  const writer = new TrafficLogWriter({ path: db.path, logger, durability: inputs.trafficLogDurability });
  // Writes after start-up go through the writer thread: nothing on the event loop waits for a lock.
  const persist = writer.persist.bind(writer);
  const upstream = new Upstream({
    caPems: [...inputs.upstream.caPems],
    connectTo: [...inputs.upstream.connectTo],
    egress: createEgressGuard({ allowCidrs: [...inputs.upstream.allowPrivateEgress] }),
    headersTimeoutMs: inputs.upstream.headersTimeoutMs ?? 300_000,
    connectTimeoutMs: inputs.upstream.connectTimeoutMs ?? 10_000,
  });
  const approvalLink = inputs.approvals ? createApprovalLink(inputs.approvals) : undefined;
  let closing: Promise<void> | undefined;
  return {
    db,
    writer,
    vault: new VaultStore(db.raw, inputs.masterKey, now, persist),
    store: new ConfigStore(db.raw, persist),
    upstream,
    leaves: new LeafCertificateCache(inputs.ca),
    metrics: createGatewayMetrics(inputs.registry, () => writer.queued),
    registry: inputs.registry,
    logger,
    now,
    approvalLink,
    close() {
      closing ??= (async () => {
        await writer.close();
        upstream.close();
        await approvalLink?.close();
      })();
      return closing;
    },
  };
}
