// /v1/gateways: the gateways registered with this control plane (status, version, address, last
// seen, configuration versions, outbox backlog, ports, CA), and /v1/gateway-info, where agents of a
// gateway point their proxy settings.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { GatewayInfo } from '../../wire/agents.js';
import type { GatewayAnswer, GatewayList, GatewayRemoved, GatewayView } from '../../wire/gateways.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import { NAME_PATTERN } from '../route-deps.js';
import type { ConnectedGateways, ConnectedNow } from './connected-gateways.js';
import type { GatewayLinks } from './gateway-link.js';
import { gatewayPlaces } from './gateway-places.js';
import {
  listRegistry,
  loadRegistry,
  parseReport,
  type RegistryRow,
  removeGateway,
} from './gateway-registry-store.js';
import { defaultGatewayName } from './gateway-store.js';

export interface GatewayRouteDeps {
  db: Kysely<LocalDatabase>;
  connected: ConnectedGateways;
  link: GatewayLinks;
  config: { gatewayName: string };
}

export function gatewayView(r: RegistryRow, connected: ConnectedNow): GatewayView {
  const report = parseReport(r);
  return {
    name: r.name,
    status: connected.isConnected(r.id) ? 'connected' : 'unreachable',
    version: r.version,
    public_url: r.url,
    last_seen_at: r.last_seen_at,
    registered_at: r.registered_at,
    config_version: r.config_version,
    applied_config_version: report?.config_version ?? null,
    outbox_backlog: report?.outbox_backlog ?? null,
    agent_ports:
      r.agent_port_start !== null && r.agent_port_end !== null
        ? {
            start: r.agent_port_start,
            end: r.agent_port_end,
            open: report?.open ?? [],
            errors: report?.errors ?? {},
          }
        : null,
    ca_fingerprint: r.ca_fingerprint,
    agents: Number(r.agents),
    connectors: Number(r.connectors),
  };
}

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: NAME_PATTERN } },
  required: ['name'],
} as const;

export function registerGatewayRoutes(app: FastifyInstance, deps: GatewayRouteDeps): void {
  const { db } = deps;

  app.get(
    '/gateways',
    { schema: { summary: 'Gateways registered with this control plane', tags: ['gateways'] } },
    async (): Promise<GatewayList> => {
      const now = await deps.connected.current();
      return { gateways: (await listRegistry(db)).map((r) => gatewayView(r, now)) };
    },
  );

  app.get(
    '/gateways/:name',
    {
      schema: {
        summary: 'One gateway, with its CA certificate (PEM) for the machines of its agents',
        tags: ['gateways'],
        params: nameParams,
      },
    },
    async (req): Promise<GatewayAnswer> => {
      const row = await loadRegistry(db, (req.params as { name: string }).name);
      return { gateway: { ...gatewayView(row, await deps.connected.current()), ca_pem: row.ca_pem } };
    },
  );

  app.delete(
    '/gateways/:name',
    {
      schema: {
        summary: 'Forget a gateway (refused while it is connected, or while it has agents unless force)',
        tags: ['gateways'],
        params: nameParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { force: { type: 'boolean' } },
        },
      },
    },
    async (req): Promise<GatewayRemoved> => {
      const row = await loadRegistry(db, (req.params as { name: string }).name);
      if (await deps.connected.isConnected(row.id)) {
        throw new AppError(
          'conflict',
          `gateway ${row.name} is connected: stop it (or point it at another control plane) first, or it registers again at once`,
        );
      }
      const force = (req.query as { force?: boolean }).force === true;
      await removeGateway(db, row, { force, actor: actorOf(principalOf(req)) });
      return { deleted: true, agents: Number(row.agents), connectors: Number(row.connectors) };
    },
  );

  app.get(
    '/gateway-info',
    {
      schema: {
        summary: 'Where agents of a gateway point their proxy settings',
        tags: ['agents'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { gateway: { type: 'string', pattern: NAME_PATTERN } },
        },
      },
    },
    async (req): Promise<GatewayInfo> => {
      const name =
        (req.query as { gateway?: string }).gateway ??
        (await defaultGatewayName(db, deps.config.gatewayName));
      const place = (await gatewayPlaces(db, deps.link))(name);
      const url = place.publicUrl ? new URL(place.publicUrl) : undefined;
      return {
        gateway: name,
        url: place.publicUrl ?? null,
        proxy_host: url?.hostname.replace(/^\[|\]$/g, '') ?? null,
        proxy_port: url ? Number(url.port || 80) : null,
        ca_fingerprint: place.caFingerprint ?? null,
      };
    },
  );
}

/**
 * The control plane's /health view of its gateways: enough for an operator's probe, nothing an
 * anonymous caller should learn beyond that (no addresses, no CA; those are in /v1/gateways).
 */
export async function gatewaysHealth(
  db: Kysely<LocalDatabase>,
  connected: ConnectedGateways,
): Promise<Record<string, unknown>[]> {
  const now = await connected.current();
  return (await listRegistry(db)).map((r) => {
    const v = gatewayView(r, now);
    return {
      name: v.name,
      status: v.status,
      version: v.version,
      last_seen_at: v.last_seen_at,
      config_version: v.config_version,
      applied_config_version: v.applied_config_version,
      outbox_backlog: v.outbox_backlog,
      agent_port_errors: Object.keys(v.agent_ports?.errors ?? {}).length,
    };
  });
}
