// The composition root: builds every service of the selected role(s) with explicit arguments,
// starts them (gateway first, so the control plane can reach it), and closes them in reverse order.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { GATEWAY_MIGRATIONS, LOCAL_MIGRATIONS } from '../../migrations/index.js';
import { signingKeys } from '../audit/anchor.js';
import type { Config, ConfigSources } from '../config/config.js';
import { summarizeConfig } from '../config/resolve-config.js';
import { Secret } from '../config/secret.js';
import { buildControlPlane, type ControlPlane } from '../control/build-control-plane.js';
import { buildGateway, type Gateway } from '../gateway/gateway.js';
import { loadCertificateAuthority } from '../gateway/tls/certificate-authority.js';
import type { GatewayDatabase } from '../storage/gateway-schema.js';
import type { LocalDatabase } from '../storage/local-schema.js';
import { openDatabase } from '../storage/open-database.js';
import { type GatewaySync, startGatewaySync } from '../sync/gateway-sync-client.js';
import { parseMasterKey } from '../vault/vault-crypto.js';
import { type BootstrapResult, bootstrapControlPlane } from './bootstrap.js';
import { dataDirPaths, ensureControlFiles, ensureDataDir, ensureGatewayFiles } from './data-dir.js';

export interface DaemonOptions {
  config: Config;
  sources: ConfigSources;
  logger: Logger;
  version: string;
  adminEmail?: string | undefined;
  adminPassword?: string | undefined;
  now?: (() => Date) | undefined;
}

export interface Daemon {
  readonly control: ControlPlane | undefined;
  readonly gateway: Gateway | undefined;
  readonly controlUrl: string | undefined;
  readonly gatewayUrl: string | undefined;
  readonly bootstrap: BootstrapResult | undefined;
  readonly sync: GatewaySync | undefined;
  close(): Promise<void>;
}

/** An error that should stop start-up with one clear line (and the given exit code). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, logger } = opts;
  const paths = dataDirPaths(config.dataDir);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error while closing');
      }
    }
  };
  const runsGateway = config.role === 'gateway' || config.role === 'all';
  const runsControl = config.role === 'control' || config.role === 'all';
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'tameflare_process_' });
  logger.info({ config: summarizeConfig(config, opts.sources) }, 'configuration');

  // In a single process the two roles still talk over HTTP with a service token; when none is set,
  // a random one that lives only in this process is used.
  const serviceToken =
    config.gatewayServiceToken ??
    (config.role === 'all' ? new Secret(randomBytes(32).toString('base64url')) : undefined);

  let gateway: Gateway | undefined;
  let control: ControlPlane | undefined;
  let gatewayUrl: string | undefined;
  let controlUrl: string | undefined;
  let bootstrap: BootstrapResult | undefined;
  let sync: GatewaySync | undefined;
  try {
    ensureDataDir(paths);
    if (runsGateway) {
      await ensureGatewayFiles(paths, { masterKeyFromEnv: config.masterKey !== undefined });
      const masterKey = config.masterKey
        ? parseMasterKey(config.masterKey.reveal(), 'TAMEFLARE_MASTER_KEY')
        : parseMasterKey(readFileSync(paths.masterKey, 'utf8'), paths.masterKey);
      const ca = await loadCertificateAuthority(
        readFileSync(paths.caCert, 'utf8'),
        readFileSync(paths.caKey, 'utf8'),
      );
      const upstreamCaPems = config.upstreamCaFiles.map((file) => readPem(file));
      const db = await openDatabase<GatewayDatabase>(paths.gatewayDb, GATEWAY_MIGRATIONS);
      closers.push(() => db.close());
      gateway = buildGateway({
        options: {
          host: config.host,
          port: config.gatewayPort,
          agentPortStart: config.agentPortStart,
          upstreamCaPems,
          connectTo: config.connectTo,
          allowPrivateEgress: config.allowPrivateEgress,
          maxBodyBytes: config.maxBodyBytes,
          serviceToken,
          shutdownGraceMs: config.shutdownGraceMs,
        },
        logger: logger.child({ component: 'gateway' }),
        db,
        ca,
        masterKey,
        metrics,
        version: opts.version,
        ...(opts.now ? { now: opts.now } : {}),
        healthExtras: () => ({ control_plane: controlLinkHealth(sync, config) }),
      });
      const { port } = await listenOrExplain(
        () => gateway!.start(),
        'gateway',
        '--gateway-port',
        config.gatewayPort,
      );
      closers.push(() => gateway!.close());
      gatewayUrl = `http://${urlHost(config.host)}:${port}`;
    }
    if (runsControl) {
      await ensureControlFiles(paths);
      const db = await openDatabase<LocalDatabase>(paths.localDb, LOCAL_MIGRATIONS);
      closers.push(() => db.close());
      bootstrap = await bootstrapControlPlane(db.db, paths, {
        adminEmail: opts.adminEmail,
        adminPassword: opts.adminPassword,
      });
      const linkedGatewayUrl = config.gatewayUrl ?? gatewayUrl;
      control = buildControlPlane({
        config,
        logger: logger.child({ component: 'control' }),
        db,
        metrics,
        version: opts.version,
        now: opts.now,
        gatewayUrl: () => linkedGatewayUrl,
        serviceToken,
        signingKeys: signingKeys(readFileSync(paths.signingKey, 'utf8')),
      });
      const { port } = await listenOrExplain(() => control!.start(), 'control plane', '--port', config.port);
      closers.push(() => control!.close());
      controlUrl = `http://${urlHost(config.host)}:${port}`;
    }
    // The gateway follows its control plane: the one in this process, or CONTROL_PLANE_URL.
    const followUrl = config.controlPlaneUrl ?? (config.role === 'all' ? controlUrl : undefined);
    if (gateway && followUrl && serviceToken) {
      const gw = gateway;
      sync = startGatewaySync({
        controlPlaneUrl: followUrl,
        serviceToken,
        gatewayName: config.gatewayName,
        version: opts.version,
        applySnapshot: (s) => gw.applySnapshot(s, { followOlder: true }),
        outbox: gw.outbox,
        logger: logger.child({ component: 'sync' }),
      });
      const s = sync;
      // Closed before the control plane (reverse order): first stop following, then ship the rest.
      closers.push(async () => {
        await s.flush();
        await s.close();
      });
    } else if (gateway && config.role === 'gateway') {
      logger.warn('no CONTROL_PLANE_URL and GATEWAY_SERVICE_TOKEN: running on the cached configuration only');
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  logger.info({ role: config.role, control: controlUrl, gateway: gatewayUrl, dataDir: paths.dir }, 'ready');
  let closing: Promise<void> | undefined;
  return {
    control,
    gateway,
    controlUrl,
    gatewayUrl,
    bootstrap,
    sync,
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

/** What the gateway's /health says about its control plane: configured, connected, last contact. */
function controlLinkHealth(sync: GatewaySync | undefined, config: Config): Record<string, unknown> {
  if (!sync) return { configured: false };
  const st = sync.state();
  return {
    configured: true,
    url: config.controlPlaneUrl ?? 'in-process',
    connected: st.connected,
    config_version: st.lastSnapshotVersion,
    last_contact_at: st.lastContactAt,
    last_error: st.lastError,
    events_shipped: st.eventsShipped,
  };
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new StartupError(
      `cannot read --upstream-ca ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      2,
    );
  }
}

async function listenOrExplain<T>(
  start: () => Promise<T>,
  what: string,
  flag: string,
  port: number,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${port} is already in use (${what}, ${flag})`, 1);
    if (code === 'EACCES')
      throw new StartupError(`no permission to listen on port ${port} (${what}, ${flag})`, 1);
    if (code === 'EADDRNOTAVAIL')
      throw new StartupError(`cannot listen on this address (${what}): ${(err as Error).message}`, 1);
    throw err;
  }
}

export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
