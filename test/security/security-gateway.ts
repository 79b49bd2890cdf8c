// The attacker's view of a real gateway: the BUILT daemon (`serve --role=gateway`) spawned on loopback
// with its own data dir, configured through its own /internal API (the snapshot a control plane would
// push, and credentials for its vault), in front of recording upstreams: an HTTPS "api.github.com"
// and "strict.test" signed by a test CA, and a plain HTTP server for the cleartext hosts. Tests speak
// to it with real clients or raw sockets and read its gateway.db read-only.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type * as http from 'node:http';
import type * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { GatewayConfigSnapshot, SnapshotAgent, SnapshotConnector } from '../../src/sync/snapshot.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import type { TrafficRow } from '../helpers/gateway-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpServer, startHttpsServer } from '../helpers/test-ca.js';

export const SERVICE_TOKEN = `svc_${randomBytes(16).toString('hex')}`;

export interface SecurityGateway {
  daemon: DaemonProcess;
  port: number;
  /** The daemon's interception CA: what an agent trusts (PEM, and its file in the data dir). */
  caPem: string;
  caFile: string;
  keys: Record<string, string>;
  secrets: { github: string; plain: string; strict: string };
  /** HTTPS upstream for api.github.com and strict.test. */
  tls: FakeUpstream;
  /** Plain HTTP upstream for plain.test (:80, :8080), open.test, strict.test:80 and api.github.com:80. */
  plain: FakeUpstream;
  snapshot: GatewayConfigSnapshot;
  proxyAuth(agent?: string): string;
  proxyUrl(agent?: string): string;
  apply(change: (s: GatewayConfigSnapshot) => void): Promise<void>;
  internal(method: string, path: string, body?: unknown): Promise<Response>;
  rows(where?: string, ...params: unknown[]): TrafficRow[];
  waitForRow(where: string, ...params: unknown[]): Promise<TrafficRow>;
  close(): Promise<void>;
}

export interface SecurityGatewayOptions {
  /** Loopback is allowed by default (the upstreams live there); pass [] to keep the guard closed. */
  allowPrivateEgress?: string[];
  extraArgs?: string[];
  mutate?(s: GatewayConfigSnapshot): void;
}

export async function startSecurityGateway(opts: SecurityGatewayOptions = {}): Promise<SecurityGateway> {
  const work = mkdtempSync(join(tmpdir(), 'tf-sec-'));
  const upstreamCa = await createTestCa();
  const caFile = join(work, 'upstream-ca.pem');
  writeFileSync(caFile, upstreamCa.certPem);
  const tls = createFakeUpstream('tls');
  const tlsServer: RunningServer<https.Server> = await startHttpsServer(tls.handler, {
    hosts: ['api.github.com', 'strict.test'],
    ca: upstreamCa,
  });
  tlsServer.server.on('upgrade', tls.upgrade);
  const plain = createFakeUpstream('plain');
  const plainServer: RunningServer<http.Server> = await startHttpServer(plain.handler);
  plainServer.server.on('upgrade', plain.upgrade);

  const allow = opts.allowPrivateEgress ?? ['127.0.0.0/8'];
  const daemon = await startDaemonProcess({
    args: [
      '--role',
      'gateway',
      '--upstream-ca',
      caFile,
      ...['api.github.com:443', 'strict.test:443'].flatMap((h) => [
        '--connect-to',
        `${h}:127.0.0.1:${tlsServer.port}`,
      ]),
      ...['plain.test:80', 'plain.test:8080', 'open.test:80', 'strict.test:80', 'api.github.com:80'].flatMap(
        (h) => ['--connect-to', `${h}:127.0.0.1:${plainServer.port}`],
      ),
      ...(allow.length > 0 ? ['--unsafe-allow-private-egress', allow.join(',')] : []),
      ...(opts.extraArgs ?? []),
    ],
    env: { GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN },
  });
  const port = Number(new URL(daemon.gatewayUrl).port);
  const caPem = readFileSync(join(daemon.dataDir, 'ca.crt'), 'utf8');

  const keys: Record<string, string> = {};
  const agent = (name: string, extra: Partial<SnapshotAgent> = {}): SnapshotAgent => {
    keys[name] = `tf_agent_${randomBytes(24).toString('hex')}`;
    return {
      id: `agent-${name}`,
      name,
      port: null,
      mode: 'enforce',
      labels: {},
      proxyAuth: true,
      status: 'active',
      keys: [
        {
          id: `key-${name}`,
          kind: 'agent',
          hash: createHash('sha256').update(keys[name]!).digest('hex'),
          expiresAt: null,
        },
      ],
      ...extra,
    };
  };
  const connector = (name: string, c: Partial<SnapshotConnector>): SnapshotConnector => ({
    id: `c-${name}`,
    name,
    type: 'generic',
    domains: [],
    auth: 'bearer',
    intercept: true,
    options: {},
    ...c,
  });
  const snapshot: GatewayConfigSnapshot = {
    version: 1,
    generatedAt: new Date().toISOString(),
    agents: [agent('bot'), agent('watcher', { mode: 'monitor' })],
    connectors: [
      connector('github', { type: 'github' }),
      // An internal host without TLS whose operator opted in to cleartext injection.
      connector('plain', { domains: ['plain.test'], auth: 'header:x-api-key', allowCleartext: true }),
      // The same shape without the opt-in: its credential only travels over TLS.
      connector('strict', { domains: ['strict.test'] }),
      // No stored credential: nothing of the gateway's is ever injected.
      connector('open', { domains: ['open.test'] }),
    ],
    permissions: [
      ...['bot', 'watcher'].flatMap((a) => [
        { id: `${a}-gh`, agent: a, connector: 'github', action: 'github.*', decision: 'allow' as const },
        ...['plain', 'strict', 'open'].map((c) => ({
          id: `${a}-${c}`,
          agent: a,
          connector: c,
          action: 'http.*',
          decision: 'allow' as const,
        })),
      ]),
      {
        id: 'bot-no-delete',
        agent: 'bot',
        connector: 'github',
        action: 'github.repo.delete',
        decision: 'deny',
      },
    ],
    policies: [],
    rateLimits: [],
    killSwitch: [],
  };
  opts.mutate?.(snapshot);
  const secrets = {
    github: `ghp_PLANTED_${randomBytes(12).toString('hex')}`,
    plain: `plain_PLANTED_${randomBytes(12).toString('hex')}`,
    strict: `strict_PLANTED_${randomBytes(12).toString('hex')}`,
  };

  const internal = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${SERVICE_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const push = async () => {
    const res = await internal('PUT', '/internal/snapshot', snapshot);
    if (res.status !== 200) throw new Error(`snapshot refused: ${res.status} ${await res.text()}`);
  };
  await push();
  for (const [name, secret] of Object.entries(secrets)) {
    const res = await internal('PUT', `/internal/credentials/${name}`, { secret });
    if (res.status !== 200) throw new Error(`credential refused: ${res.status} ${await res.text()}`);
  }

  const db = new Database(join(daemon.dataDir, 'gateway.db'), { readonly: true, fileMustExist: true });
  const rows = (where = '1 = 1', ...params: unknown[]) =>
    db.prepare(`SELECT * FROM traffic_log WHERE ${where} ORDER BY id`).all(...params) as TrafficRow[];

  return {
    daemon,
    port,
    caPem,
    caFile: join(daemon.dataDir, 'ca.crt'),
    keys,
    secrets,
    tls,
    plain,
    snapshot,
    proxyAuth: (name = 'bot') => `Basic ${Buffer.from(`${name}:${keys[name]}`).toString('base64')}`,
    proxyUrl: (name = 'bot') => `http://${name}:${keys[name]}@127.0.0.1:${port}`,
    async apply(change) {
      change(snapshot);
      snapshot.version++;
      await push();
    },
    internal,
    rows,
    async waitForRow(where, ...params) {
      // Rows are written by the daemon's writer thread every ~50 ms: poll, bounded.
      for (let i = 0; i < 200; i++) {
        const found = rows(`(${where}) AND completed_at IS NOT NULL`, ...params)[0];
        if (found) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no completed traffic_log row where ${where}`);
    },
    async close() {
      db.close();
      await daemon.stop();
      await Promise.all([tlsServer.close(), plainServer.close()]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
