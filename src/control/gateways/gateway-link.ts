// The control plane's calls into a gateway's internal API (credential relay, port probing), one
// gateway at a time: each is reached at the address it registered, or at GATEWAY_URL for the
// control plane's own gateway. The service token authenticates them; credentials pass through
// memory only, never storage or logs.

import type { Secret } from '../../config/secret.js';
import { AppError } from '../../errors/codes.js';
import { GATEWAY_TRAFFIC_PATH, type GatewayTrafficRow, type GatewayTrafficRows } from '../../wire/traffic.js';
import type { PortProbe, PortRange } from '../agents/agent-ports.js';
import type { Db } from '../db.js';
import { registeredUrls } from './gateway-registry-store.js';

export interface GatewayLink {
  putCredential(connector: string, secret: Secret): Promise<void>;
  deleteCredential(connector: string): Promise<void>;
  /** Ports of the range the gateway host can bind, or undefined when the gateway cannot be asked. */
  availablePorts(range: PortRange, count: number): Promise<PortProbe | undefined>;
  /**
   * Its traffic_log rows by id (what compact action events refer to), or undefined when the gateway
   * cannot be asked (unknown, unreachable, refusing): then the events are listed without them.
   */
  trafficRows(ids: readonly number[]): Promise<GatewayTrafficRow[] | undefined>;
}

export interface GatewayLinks {
  /** The link to the gateway of that name. */
  to(gateway: string): GatewayLink;
  /** Where the control plane reaches it (undefined: unknown). */
  urlOf(gateway: string): Promise<string | undefined>;
}

export function createGatewayLinks(opts: {
  db: Db;
  /** GATEWAY_URL, or the in-process gateway in role all: the address of `defaultName`. */
  overrideUrl: () => string | undefined;
  defaultName: string;
  serviceToken: Secret | undefined;
}): GatewayLinks {
  async function urlOf(gateway: string): Promise<string | undefined> {
    const registered = await registeredUrls(opts.db);
    const override = opts.overrideUrl();
    // GATEWAY_URL names the control plane's own gateway, or the only one there is (the seed's
    // single-gateway split); every other gateway is reached where it registered.
    if (override && (gateway === opts.defaultName || (registered.size === 1 && registered.has(gateway))))
      return override;
    return registered.get(gateway) ?? undefined;
  }

  function to(gateway: string): GatewayLink {
    async function call(method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<Response> {
      const base = await urlOf(gateway);
      if (!base) {
        throw new AppError(
          'unavailable',
          `the control plane does not know where gateway ${gateway} is: it has not registered yet (is it running with CONTROL_PLANE_URL?)`,
        );
      }
      if (!opts.serviceToken) {
        throw new AppError('unavailable', 'no GATEWAY_SERVICE_TOKEN is configured to talk to the gateway');
      }
      try {
        return await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${opts.serviceToken.reveal()}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new AppError(
          'unavailable',
          `gateway ${gateway} at ${base} cannot be reached (${(err as Error).message})`,
        );
      }
    }
    async function expectOk(res: Response, what: string): Promise<void> {
      if (res.ok) return;
      const text = await res.text().catch(() => '');
      let detail = '';
      try {
        const j = JSON.parse(text) as { detail?: string; code?: string };
        detail = j.detail ?? j.code ?? '';
      } catch {
        detail = text.slice(0, 200);
      }
      throw new AppError(
        'unavailable',
        `gateway ${gateway} refused to ${what}: HTTP ${res.status} ${detail}`.trim(),
      );
    }
    return {
      async trafficRows(ids) {
        try {
          // A listing waits for this: shorter than a change's 5 s (the rows are shown as unavailable).
          const res = await call('GET', `${GATEWAY_TRAFFIC_PATH}?ids=${ids.join(',')}`, undefined, 2000);
          if (!res.ok) return undefined;
          const body = (await res.json()) as Partial<GatewayTrafficRows>;
          return Array.isArray(body.rows) ? body.rows : undefined;
        } catch {
          return undefined;
        }
      },
      async putCredential(connector, secret) {
        const res = await call('PUT', `/internal/credentials/${encodeURIComponent(connector)}`, {
          secret: secret.reveal(),
        });
        await expectOk(res, 'store the credential');
      },
      async deleteCredential(connector) {
        const res = await call('DELETE', `/internal/credentials/${encodeURIComponent(connector)}`);
        if (res.status !== 404) await expectOk(res, 'delete the credential');
      },
      async availablePorts(range, count) {
        try {
          const res = await call(
            'GET',
            `/internal/ports/available?start=${range.start}&end=${range.end}&count=${count}`,
          );
          if (!res.ok) return undefined;
          const body = (await res.json()) as { ports?: unknown; checked_up_to?: unknown };
          if (!Array.isArray(body.ports)) return undefined;
          const ports = body.ports.filter((p): p is number => typeof p === 'number');
          // An older gateway does not say how far it looked: then only what it listed is known.
          const checkedUpTo =
            typeof body.checked_up_to === 'number' ? body.checked_up_to : (ports.at(-1) ?? range.start - 1);
          return { ports, checkedUpTo };
        } catch {
          return undefined;
        }
      },
    };
  }

  return { to, urlOf };
}
