// Threat model: /internal/* changes what the gateway does (credentials, configuration, kill switch),
// so only the control plane may call it. Controls: a shared service token (GATEWAY_SERVICE_TOKEN)
// compared in constant time; no token configured means the whole /internal tree does not exist (404),
// never "open"; every body is size-bounded and validated; answers carry metadata only (a credential
// is write-only: the last four characters are all that ever comes back).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as net from 'node:net';
import { z } from 'zod';
import { Secret } from '../../config/secret.js';
import type { KillSwitchEntry, KillSwitchScope } from '../../decide/types.js';
import { AppError } from '../../errors/codes.js';
import type { GatewayConfigSnapshot } from '../../sync/snapshot.js';
import type { VaultCredentialInfo } from '../../vault/vault-store.js';
import { GATEWAY_TRAFFIC_PATH, type GatewayTrafficRow, MAX_TRAFFIC_IDS } from '../../wire/traffic.js';
import { describeIssues, killSwitchScopeSchema, parseSnapshot } from '../state/snapshot-schema.js';
import { readJsonBody, sendApiProblem, sendJson } from './api-responses.js';

export interface InternalApiTarget {
  vault: {
    set(connector: string, secret: Secret): void;
    delete(connector: string): void;
    has(connector: string): boolean;
    list(): VaultCredentialInfo[];
  };
  applySnapshot(s: GatewayConfigSnapshot): Promise<void>;
  activateKillSwitch(scope: KillSwitchScope, reason: string | undefined): void;
  deactivateKillSwitch(scope: KillSwitchScope): boolean;
  killSwitch(): { local: KillSwitchEntry[]; snapshot: KillSwitchEntry[] };
  /** Ports that agents already hold (snapshot) or that the gateway listens on. */
  reservedPorts(): Set<number>;
  activeAgents(): { agent: string; tunnels: number; streams: number }[];
  /** traffic_log rows by id (compact action events refer to them; ./traffic-rows.ts). */
  trafficRows(ids: readonly number[]): GatewayTrafficRow[];
  bindHost: string;
  agentPortStart: number;
}

const CONNECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const credentialBody = z.object({ secret: z.string().min(1).max(16_384) }).strict();
const killSwitchBody = z
  .object({ scope: killSwitchScopeSchema, reason: z.string().max(1000).optional() })
  .strict();

export function createInternalApi(target: InternalApiTarget, serviceToken: Secret | undefined) {
  const expected = serviceToken ? digest(serviceToken.reveal()) : undefined;

  function authorised(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Digests have a fixed length, so the comparison never leaks the token's length either.
    return !!expected && !!match && timingSafeEqual(digest(match[1]!), expected);
  }

  return async function handleInternal(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
  ): Promise<void> {
    if (!expected) {
      sendApiProblem(res, requestId, 'not_found', 'the internal API is disabled (no GATEWAY_SERVICE_TOKEN)');
      return;
    }
    if (!authorised(req)) {
      sendApiProblem(res, requestId, 'unauthenticated', 'a valid service token is required', {
        'www-authenticate': 'Bearer realm="tameflare-gateway"',
      });
      return;
    }
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const credential = /^\/internal\/credentials\/([^/]+)$/.exec(path);
    try {
      if (credential) {
        const connector = decodeURIComponent(credential[1]!);
        if (!CONNECTOR_NAME.test(connector)) {
          sendApiProblem(res, requestId, 'bad_request', 'invalid connector name');
          return;
        }
        if (method === 'PUT') {
          const body = await readJsonBody(req, res, requestId, 64 * 1024);
          if (!body) return;
          const parsed = credentialBody.safeParse(body.value);
          if (!parsed.success) {
            sendApiProblem(
              res,
              requestId,
              'bad_request',
              `invalid body: ${describeIssues(parsed.error.issues)}`,
            );
            return;
          }
          target.vault.set(connector, new Secret(parsed.data.secret));
          const info = target.vault.list().find((c) => c.connector === connector);
          sendJson(res, 200, { connector, set: true, last4: info?.last4 ?? null }, requestId);
          return;
        }
        if (method === 'DELETE') {
          const existed = target.vault.has(connector);
          target.vault.delete(connector);
          sendJson(res, 200, { connector, set: false, existed }, requestId);
          return;
        }
        return methodNotAllowed(res, requestId);
      }
      switch (path) {
        case '/internal/credentials':
          if (method !== 'GET') return methodNotAllowed(res, requestId);
          sendJson(res, 200, { credentials: target.vault.list() }, requestId);
          return;
        case '/internal/snapshot': {
          if (method !== 'PUT') return methodNotAllowed(res, requestId);
          const body = await readJsonBody(req, res, requestId, 32 * 1024 * 1024);
          if (!body) return;
          const parsed = parseSnapshot(body.value);
          if (!parsed.ok) {
            sendApiProblem(res, requestId, 'bad_request', `invalid snapshot: ${parsed.error}`);
            return;
          }
          await target.applySnapshot(parsed.snapshot);
          sendJson(res, 200, { applied: true, version: parsed.snapshot.version }, requestId);
          return;
        }
        case '/internal/kill-switch':
          return killSwitch(req, res, url, requestId, method);
        case '/internal/ports/available':
          if (method !== 'GET') return methodNotAllowed(res, requestId);
          return availablePorts(res, url, requestId);
        case GATEWAY_TRAFFIC_PATH: {
          if (method !== 'GET') return methodNotAllowed(res, requestId);
          const ids = (url.searchParams.get('ids') ?? '').split(',');
          if (ids.length > MAX_TRAFFIC_IDS || !ids.every((id) => /^[1-9]\d{0,15}$/.test(id))) {
            sendApiProblem(
              res,
              requestId,
              'bad_request',
              `ids must be 1 to ${MAX_TRAFFIC_IDS} row ids, comma-separated`,
            );
            return;
          }
          sendJson(res, 200, { rows: target.trafficRows(ids.map(Number)) }, requestId);
          return;
        }
        case '/internal/agents/active':
          if (method !== 'GET') return methodNotAllowed(res, requestId);
          sendJson(res, 200, { agents: target.activeAgents() }, requestId);
          return;
        default:
          sendApiProblem(res, requestId, 'not_found', `no internal endpoint ${method} ${path}`);
      }
    } catch (err) {
      if (err instanceof AppError) {
        sendApiProblem(res, requestId, err.code, err.message);
        return;
      }
      throw err;
    }
  };

  async function killSwitch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
    method: string,
  ): Promise<void> {
    if (method === 'GET') {
      sendJson(res, 200, target.killSwitch(), requestId);
      return;
    }
    if (method === 'POST') {
      const body = await readJsonBody(req, res, requestId, 16 * 1024);
      if (!body) return;
      const parsed = killSwitchBody.safeParse(body.value);
      if (!parsed.success) {
        sendApiProblem(res, requestId, 'bad_request', `invalid body: ${describeIssues(parsed.error.issues)}`);
        return;
      }
      target.activateKillSwitch(parsed.data.scope as KillSwitchScope, parsed.data.reason);
      sendJson(res, 200, target.killSwitch(), requestId);
      return;
    }
    if (method === 'DELETE') {
      const scope = killSwitchScopeSchema.safeParse(url.searchParams.get('scope') ?? '');
      if (!scope.success) {
        sendApiProblem(
          res,
          requestId,
          'bad_request',
          'query parameter scope must be all, agent:NAME or connector:NAME',
        );
        return;
      }
      const removed = target.deactivateKillSwitch(scope.data as KillSwitchScope);
      sendJson(res, 200, { removed, ...target.killSwitch() }, requestId);
      return;
    }
    methodNotAllowed(res, requestId);
  }

  async function availablePorts(res: ServerResponse, url: URL, requestId: string): Promise<void> {
    const count = intParam(url, 'count', 1);
    const start = intParam(url, 'start', target.agentPortStart);
    const end = intParam(url, 'end', 65535);
    if (
      count === undefined ||
      count < 1 ||
      count > 100 ||
      start === undefined ||
      start < 1 ||
      start > 65535 ||
      end === undefined ||
      end < start ||
      end > 65535
    ) {
      sendApiProblem(res, requestId, 'bad_request', 'count must be 1-100, start and end port numbers');
      return;
    }
    const reserved = target.reservedPorts();
    const ports: number[] = [];
    // Bounded scan: a crowded host answers with fewer ports rather than probing forever. The answer
    // says how far it looked, so the caller knows which unlisted ports are taken and which unknown.
    const last = Math.min(end, start + 1999);
    let port = start;
    for (; port <= last && ports.length < count; port++) {
      if (reserved.has(port)) continue;
      if (await canBind(target.bindHost, port)) ports.push(port);
    }
    sendJson(res, 200, { ports, checked_up_to: port - 1 }, requestId);
  }
}

function methodNotAllowed(res: ServerResponse, requestId: string): void {
  sendApiProblem(res, requestId, 'bad_request', 'method not allowed on this endpoint');
}

function intParam(url: URL, name: string, fallback: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  return /^\d{1,5}$/.test(raw) ? Number(raw) : undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
