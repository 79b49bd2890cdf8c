// Builds a real control plane (SQLite file in a temp dir, Fastify on 127.0.0.1:0) for API tests. In
// the `postgres` test project its database is a fresh schema on the run's PostgreSQL server instead.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { inject } from 'vitest';
import { signingKeys } from '../../src/audit/anchor.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { Secret } from '../../src/config/secret.js';
import type { Role } from '../../src/control/accounts/roles.js';
import type { ActionApprovals } from '../../src/control/actions/action-approvals.js';
import { buildControlPlane, type ControlPlane } from '../../src/control/build-control-plane.js';
import { createApiToken } from '../../src/control/tokens/token-store.js';
import { bootstrapControlPlane } from '../../src/daemon/bootstrap.js';
import { dataDirPaths, ensureControlFiles, ensureDataDir } from '../../src/daemon/data-dir.js';
import { createCertificateAuthority } from '../../src/gateway/tls/certificate-authority.js';
import { type ControlDatabase, openControlDatabase } from '../../src/storage/control-database.js';
import { GATEWAY_REGISTER_PATH, type GatewayRegistration } from '../../src/sync/gateway-registration.js';
import { signingKeyRing } from '../../src/tokens/signing-key-ring.js';
import { caFingerprint } from '../../src/trust/gateway-ca.js';
import { createTestSchema } from './postgres-schema.js';

export interface ControlHarness {
  url: string;
  token: string;
  serviceToken: string;
  control: ControlPlane;
  db: ControlDatabase;
  dataDir: string;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  tokenWithRole(role: Role): Promise<string>;
  close(): Promise<void>;
}

/** A gateway registration as a real gateway sends it (its own CA), for tests without a gateway. */
export async function registerTestGateway(
  url: string,
  serviceToken: string,
  opts: {
    name?: string;
    start?: number;
    end?: number;
    publicUrl?: string | undefined;
    open?: number[];
    errors?: Record<string, string>;
  } = {},
): Promise<Response> {
  const { certPem } = await createCertificateAuthority();
  const body: GatewayRegistration = {
    gateway: opts.name ?? 'default',
    version: 'test',
    public_url: opts.publicUrl ?? 'http://127.0.0.1:9443',
    ca_pem: certPem,
    ca_fingerprint: caFingerprint(certPem),
    agent_ports: {
      start: opts.start ?? 9444,
      end: opts.end ?? 10443,
      open: opts.open ?? [],
      errors: opts.errors ?? {},
    },
    config_version: 0,
    outbox_backlog: 0,
    started_at: new Date().toISOString(),
  };
  return fetch(`${url}${GATEWAY_REGISTER_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function startControlHarness(
  opts: {
    gatewayUrl?: string;
    env?: Record<string, string>;
    /** Register a gateway `default` (ports 9444-10443) as a gateway would when it connects. */
    registerGateway?: boolean;
    /** Drive SDK mode's approvals by hand instead of through the approvals service. */
    actionApprovals?: ActionApprovals;
  } = {},
): Promise<ControlHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-control-'));
  const paths = dataDirPaths(dataDir);
  ensureDataDir(paths);
  const postgres = inject('postgresUrl');
  const schema = postgres ? await createTestSchema(postgres) : undefined;
  const db = await openControlDatabase({
    localDbPath: paths.localDb,
    databaseUrl: schema ? new Secret(schema.url) : undefined,
  });
  await bootstrapControlPlane(db.db, paths, { adminPassword: 'correct horse battery staple' });
  const token = readFileSync(paths.cliToken, 'utf8').trim();
  const serviceToken = 'service-token-for-tests-0123456789';
  const { config } = resolveConfig({ flags: { dataDir, port: '0', role: 'control' }, env: opts.env ?? {} });
  await ensureControlFiles(paths);
  const control = buildControlPlane({
    config,
    logger: pino({ level: 'silent' }),
    db,
    metrics: new Registry(),
    version: 'test',
    gatewayUrl: () => opts.gatewayUrl,
    serviceToken: new Secret(serviceToken),
    signingKeys: signingKeys(readFileSync(paths.signingKey, 'utf8')),
    keyRing: signingKeyRing(db.db, paths.signingKey, () => new Date()),
    actionApprovals: opts.actionApprovals,
  });
  const { port } = await control.start();
  const url = `http://127.0.0.1:${port}`;
  if (opts.registerGateway) {
    const res = await registerTestGateway(url, serviceToken, { publicUrl: opts.gatewayUrl });
    if (!res.ok) throw new Error(`test gateway registration refused: ${res.status} ${await res.text()}`);
  }
  return {
    url,
    token,
    serviceToken,
    control,
    db,
    dataDir,
    async api(method, path, body, tok = token) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tok}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as never };
    },
    async tokenWithRole(role) {
      return (
        await createApiToken(
          db.db,
          { name: `t-${role}`, role, userId: null, expiresAt: null },
          { actor: 'test' },
        )
      ).token;
    },
    async close() {
      await control.close();
      await db.close();
      await schema?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
