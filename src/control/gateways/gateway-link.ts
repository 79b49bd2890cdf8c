// The control plane's calls into a gateway's internal API (credential relay, port probing). The
// service token authenticates them; credentials pass through memory only, never storage or logs.

import type { Secret } from '../../config/secret.js';
import { AppError } from '../../errors/codes.js';

export interface GatewayLink {
  /** Base URL of the gateway's API (also its proxy address), when known. */
  url(): string | undefined;
  putCredential(connector: string, secret: Secret): Promise<void>;
  deleteCredential(connector: string): Promise<void>;
  /** Ports the gateway host can bind, or undefined when the gateway cannot be asked. */
  availablePorts(start: number, count: number): Promise<number[] | undefined>;
}

export function createGatewayLink(opts: {
  url: () => string | undefined;
  serviceToken: Secret | undefined;
}): GatewayLink {
  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const base = opts.url();
    if (!base) {
      throw new AppError(
        'unavailable',
        'the control plane does not know the gateway address (set GATEWAY_URL)',
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
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new AppError(
        'unavailable',
        `the gateway at ${base} cannot be reached (${(err as Error).message})`,
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
    throw new AppError('unavailable', `the gateway refused to ${what}: HTTP ${res.status} ${detail}`.trim());
  }
  return {
    url: opts.url,
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
    async availablePorts(start, count) {
      try {
        const res = await call('GET', `/internal/ports/available?start=${start}&count=${count}`);
        if (!res.ok) return undefined;
        const body = (await res.json()) as { ports?: unknown };
        return Array.isArray(body.ports)
          ? body.ports.filter((p): p is number => typeof p === 'number')
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
