// Builds a real gateway on 127.0.0.1:0 with a temporary gateway.db, its own interception CA, fake
// upstreams (HTTPS "api.github.com" with a test CA, HTTP "plain.test") reached through --connect-to,
// and a snapshot with agents, connectors, permissions and planted credentials. Clients are real
// (curl, python3, Node, git); the harness only provides the addresses, files and keys they need.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Selectable } from 'kysely';
import { Registry } from 'prom-client';
import { GATEWAY_MIGRATIONS } from '../../migrations/index.js';
import type { ConnectToRule } from '../../src/config/config.js';
import { Secret } from '../../src/config/secret.js';
import { createGatewayServices } from '../../src/daemon/gateway-services.js';
import { buildGateway, type Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { hashAgentKey } from '../../src/gateway/pipeline/identity.js';
import {
  createCertificateAuthority,
  loadCertificateAuthority,
} from '../../src/gateway/tls/certificate-authority.js';
import type { TrafficLogWriter } from '../../src/gateway/traffic-log/traffic-log-writer.js';
import { createLogger } from '../../src/logging/create-logger.js';
import type { GatewayDatabase, TrafficLogTable } from '../../src/storage/gateway-schema.js';
import { type OpenedDatabase, openDatabase } from '../../src/storage/open-database.js';
import type { GatewayConfigSnapshot, SnapshotAgent } from '../../src/sync/snapshot.js';
import { buildCaBundle } from '../../src/trust/ca-bundle.js';
import { createFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { type GitServer, startGitServer } from './git-http-server.js';
import {
  createTestCa,
  type RunningServer,
  startHttpServer,
  startHttpsServer,
  type TestCa,
} from './test-ca.js';

export const GITHUB_SECRET = `ghp_PLANTED_${randomBytes(12).toString('hex')}`;
export const PLAIN_SECRET = `plain_PLANTED_${randomBytes(12).toString('hex')}`;
export const DUMMY = 'dummy-agent-held-token';

/** A traffic_log row as the tests read it: the schema's own row type. */
export type TrafficRow = Selectable<TrafficLogTable>;

export interface GatewayHarness {
  gateway: Gateway;
  /** The gateway's traffic-log writer (its thread owns the writes). */
  writer: TrafficLogWriter;
  port: number;
  dir: string;
  db: OpenedDatabase<GatewayDatabase>;
  /** The interception CA (what agents must trust), as a file, and a bundle with the public roots. */
  caFile: string;
  bundleFile: string;
  upstreamCa: TestCa;
  github: FakeUpstream;
  githubServer: RunningServer<import('node:https').Server>;
  plain: FakeUpstream;
  /** A smart-HTTP git server answering for https://github.com (only with `withGit`). */
  git: GitServer | undefined;
  logs: string[];
  snapshot: GatewayConfigSnapshot;
  keys: Record<string, string>;
  agentPorts: { porty: number; open: number };
  proxyUrl(agent?: string): string;
  apply(change: (s: GatewayConfigSnapshot) => void): Promise<void>;
  rows(where?: string, ...params: unknown[]): TrafficRow[];
  waitForRows(predicate: (rows: TrafficRow[]) => boolean, where?: string): Promise<TrafficRow[]>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  allowPrivateEgress?: string[];
  maxBodyBytes?: number;
  extraConnectTo?: ConnectToRule[];
  /** null: no service token, so /internal does not exist. */
  serviceToken?: string | null;
  mutate?: (s: GatewayConfigSnapshot) => void;
  withGit?: boolean;
  upstreamTimeoutMs?: number;
  /** TCP connect and TLS handshake to an upstream, together (default 10 s). */
  upstreamConnectTimeoutMs?: number;
  /** The CA the gateway trusts for upstreams: pass one to sign extra upstreams (`extraConnectTo`)
   * started before the harness. */
  upstreamCa?: TestCa;
}

export async function startGatewayHarness(opts: HarnessOptions = {}): Promise<GatewayHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'tameflare-gw-'));
  const ca = await createCertificateAuthority({ commonName: 'TameFlare Harness CA' });
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certPem);
  const bundleFile = join(dir, 'ca-bundle.pem');
  writeFileSync(bundleFile, buildCaBundle(ca.certPem));
  const authority = await loadCertificateAuthority(ca.certPem, ca.keyPem);

  const upstreamCa = opts.upstreamCa ?? (await createTestCa());
  const github = createFakeUpstream('github');
  const githubServer = await startHttpsServer(github.handler, {
    hosts: ['api.github.com', 'raw.test', 'localhost'],
    ca: upstreamCa,
  });
  githubServer.server.on('upgrade', github.upgrade);
  const plain = createFakeUpstream('plain');
  const plainServer = await startHttpServer(plain.handler);
  plainServer.server.on('upgrade', plain.upgrade);

  const git = opts.withGit
    ? await startGitServer({
        ca: upstreamCa,
        hosts: ['github.com'],
        owner: 'octo',
        repo: 'hello',
        content: 'hello from git\n',
      })
    : undefined;
  const [porty, open, closedPort] = await freePorts(3);
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
      keys: [{ id: `key-${name}`, kind: 'agent', hash: hashAgentKey(keys[name]!), expiresAt: null }],
      ...extra,
    };
  };
  const allowAll = (a: string) => [
    { id: `${a}-gh`, agent: a, connector: 'github', action: 'github.*', decision: 'allow' as const },
    { id: `${a}-plain`, agent: a, connector: 'plain', action: 'http.*', decision: 'allow' as const },
  ];
  const snapshot: GatewayConfigSnapshot = {
    version: 1,
    generatedAt: new Date().toISOString(),
    agents: [
      agent('bot'),
      agent('watcher', { mode: 'monitor' }),
      agent('frozen', { status: 'suspended' }),
      agent('porty', { port: porty! }),
      agent('open', { port: open!, proxyAuth: false }),
    ],
    connectors: [
      {
        id: 'c-gh',
        name: 'github',
        type: 'github',
        domains: [],
        auth: 'bearer',
        intercept: true,
        options: {},
      },
      {
        id: 'c-plain',
        name: 'plain',
        type: 'generic',
        domains: ['plain.test'],
        auth: 'header:x-api-key',
        intercept: true,
        allowCleartext: true, // an internal host without TLS: its credential is injected over http://
        options: {},
      },
      {
        id: 'c-meta',
        name: 'meta',
        type: 'generic',
        domains: ['metadata.test'],
        auth: 'bearer',
        intercept: true,
        options: {},
      },
      {
        id: 'c-raw',
        name: 'raw',
        type: 'generic',
        domains: ['raw.test'],
        auth: 'none',
        intercept: false,
        options: {},
      },
      {
        id: 'c-local',
        name: 'local',
        type: 'generic',
        domains: ['localhost'],
        auth: 'bearer',
        intercept: true,
        options: {},
      },
      {
        id: 'c-down',
        name: 'down',
        type: 'generic',
        domains: ['down.test'],
        auth: 'bearer',
        intercept: true,
        options: {},
      },
    ],
    permissions: [
      ...allowAll('bot'),
      {
        id: 'bot-deny-delete',
        agent: 'bot',
        connector: 'github',
        action: 'github.repo.delete',
        decision: 'deny',
      },
      {
        id: 'bot-merge-approval',
        agent: 'bot',
        connector: 'github',
        action: 'github.pr.merge',
        decision: 'require_approval',
      },
      { id: 'bot-meta', agent: 'bot', connector: 'meta', action: 'http.*', decision: 'allow' },
      { id: 'bot-local', agent: 'bot', connector: 'local', action: 'http.*', decision: 'allow' },
      { id: 'bot-down', agent: 'bot', connector: 'down', action: 'http.*', decision: 'allow' },
      { id: 'bot-raw', agent: 'bot', connector: 'raw', action: 'tunnel.connect', decision: 'allow' },
      {
        id: 'watcher-read',
        agent: 'watcher',
        connector: 'github',
        action: 'github.repo.get',
        decision: 'allow',
      },
      ...allowAll('frozen'),
      ...allowAll('porty'),
      ...allowAll('open'),
    ],
    policies: [],
    rateLimits: [],
    killSwitch: [],
  };
  opts.mutate?.(snapshot);

  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString('utf8'));
        cb();
      },
    }),
  });
  const db = await openDatabase<GatewayDatabase>(join(dir, 'gateway.db'), GATEWAY_MIGRATIONS);
  const masterKey = randomBytes(32);
  const connectTo: ConnectToRule[] = [
    { host: 'api.github.com', port: 443, targetHost: '127.0.0.1', targetPort: githubServer.port },
    { host: 'raw.test', port: 443, targetHost: '127.0.0.1', targetPort: githubServer.port },
    { host: 'localhost', port: 443, targetHost: 'localhost', targetPort: githubServer.port },
    { host: 'plain.test', port: 80, targetHost: '127.0.0.1', targetPort: plainServer.port },
    { host: 'metadata.test', port: 80, targetHost: '169.254.169.254', targetPort: 80 },
    { host: 'down.test', port: 80, targetHost: '127.0.0.1', targetPort: closedPort! },
    ...(git ? [{ host: 'github.com', port: 443, targetHost: '127.0.0.1', targetPort: git.port }] : []),
    ...(opts.extraConnectTo ?? []),
  ];
  const options: GatewayOptions = {
    host: '127.0.0.1',
    port: 0,
    agentPortStart: 20000,
    maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
    serviceToken:
      opts.serviceToken === null ? undefined : new Secret(opts.serviceToken ?? 'test-service-token'),
    shutdownGraceMs: 200,
    version: '0.0.0-test',
  };
  // The same construction as the daemon's composition root; rebuilt on restart like a new process.
  const build = () => {
    const services = createGatewayServices({
      db,
      ca: authority,
      masterKey,
      upstream: {
        caPems: [upstreamCa.certPem],
        connectTo,
        allowPrivateEgress: opts.allowPrivateEgress ?? ['127.0.0.0/8'],
        headersTimeoutMs: opts.upstreamTimeoutMs,
        connectTimeoutMs: opts.upstreamConnectTimeoutMs,
      },
      registry: new Registry(),
      logger,
      now: () => new Date(),
    });
    return { services, gateway: buildGateway(services, options) };
  };
  let built = build();
  let port = (await built.gateway.start()).port;
  const gateway = () => built.gateway;
  const stop = async () => {
    await built.gateway.close();
    await built.services.close();
  };

  await gateway().applySnapshot(snapshot);
  gateway().vault.set('github', new Secret(GITHUB_SECRET));
  gateway().vault.set('plain', new Secret(PLAIN_SECRET));

  const harness: GatewayHarness = {
    get gateway() {
      return gateway();
    },
    get writer() {
      return built.services.writer;
    },
    get port() {
      return port;
    },
    dir,
    db,
    caFile,
    bundleFile,
    upstreamCa,
    github,
    githubServer,
    plain,
    git,
    logs,
    snapshot,
    keys,
    agentPorts: { porty: porty!, open: open! },
    proxyUrl(name = 'bot') {
      return `http://${name}:${keys[name]}@127.0.0.1:${port}`;
    },
    async apply(change) {
      change(snapshot);
      snapshot.version++;
      await gateway().applySnapshot(structuredClone(snapshot));
    },
    rows(where = '1 = 1', ...params) {
      return db.raw
        .prepare(`SELECT * FROM traffic_log WHERE ${where} ORDER BY id`)
        .all(...params) as TrafficRow[];
    },
    async waitForRows(predicate, where = '1 = 1') {
      for (let i = 0; i < 200; i++) {
        const rows = harness.rows(where);
        if (predicate(rows)) return rows;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `traffic_log never satisfied the condition (where ${where}): ${JSON.stringify(harness.rows(where))}`,
      );
    },
    async restart() {
      await stop();
      options.port = port; // same port, so proxy URLs stay valid
      built = build();
      port = (await built.gateway.start()).port;
    },
    async close() {
      await stop();
      await Promise.all([githubServer.close(), plainServer.close(), git?.close()]);
      if (git) rmSync(git.root, { recursive: true, force: true });
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Ports free right now on 127.0.0.1 (a small race with other processes is acceptable in tests). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const s = net.createServer();
      return new Promise<net.Server>((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
