// Where each gateway is, as far as its agents are concerned: its public address (registered, or
// GATEWAY_URL for the control plane's own gateway until it registers), its port range and its last
// report. Read once per request and handed to the views.
import type { PortRange } from '../agents/agent-ports.js';
import type { Db } from '../db.js';
import type { GatewayLinks } from './gateway-link.js';
import { listRegistry, parseReport, type StoredReport } from './gateway-registry-store.js';

export interface GatewayPlace {
  name: string;
  /** Where agents reach it (`http://host:port`), when known. */
  publicUrl: string | undefined;
  /** Its registered port range; undefined until it has registered. */
  range: PortRange | undefined;
  report: StoredReport | undefined;
  caFingerprint: string | undefined;
}

export async function gatewayPlaces(db: Db, links: GatewayLinks): Promise<(name: string) => GatewayPlace> {
  const places = new Map<string, GatewayPlace>();
  for (const r of await listRegistry(db)) {
    places.set(r.name, {
      name: r.name,
      publicUrl: r.url ?? (await links.urlOf(r.name)),
      range:
        r.agent_port_start !== null && r.agent_port_end !== null
          ? { start: r.agent_port_start, end: r.agent_port_end }
          : undefined,
      report: parseReport(r),
      caFingerprint: r.ca_fingerprint ?? undefined,
    });
  }
  return (name) =>
    places.get(name) ?? {
      name,
      publicUrl: undefined,
      range: undefined,
      report: undefined,
      caFingerprint: undefined,
    };
}
