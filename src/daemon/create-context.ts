// The composition root: every service of the selected role(s) is built here, once, with explicit
// arguments (no module-level singletons, nothing hung on a Fastify instance). Building binds no port;
// start() binds the gateway, then the control plane (so it can reach the gateway), then follows the
// control plane; close() releases everything in the reverse order of building.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { GATEWAY_MIGRATIONS } from '../../migrations/index.js';
import { type AnchorKeys, signingKeys } from '../audit/anchor.js';
import type { Config, ConfigSources } from '../config/config.js';
import { summarizeConfig } from '../config/resolve-config.js';
import { Secret } from '../config/secret.js';
import { buildControlPlane, type ControlPlane } from '../control/build-control-plane.js';
import { buildGateway, type Gateway } from '../gateway/gateway.js';
import { loadCertificateAuthority } from '../gateway/tls/certificate-authority.js';
import { createLogger } from '../logging/create-logger.js';
import { type ControlDatabase, openControlDatabase } from '../storage/control-database.js';
import type { GatewayDatabase } from '../storage/gateway-schema.js';
import { openDatabase } from '../storage/open-database.js';
import { DatabaseUnavailableError } from '../storage/open-postgres.js';
import { openOutboxBacklog } from '../storage/outbox-backlog.js';
import { startWalCheckpointer } from '../storage/wal-checkpointer.js';
import { createDecisionTokenGate } from '../sync/decision-token-gate.js';
import { GATEWAY_CA_HEADER } from '../sync/gateway-registration.js';
import { type GatewayReporter, startGatewayReporter } from '../sync/gateway-reporter.js';
import { type GatewaySync, startGatewaySync } from '../sync/gateway-sync-client.js';
import { createDecisionTokenRedeemer } from '../tokens/decision-token-redeemer.js';
import { anchorKeys, signingKeyRing } from '../tokens/signing-key-ring.js';
import { parseMasterKey } from '../vault/vault-crypto.js';
import { type BootstrapResult, bootstrapControlPlane } from './bootstrap.js';
import {
  type DataDirPaths,
  dataDirPaths,
  ensureControlFiles,
  ensureDataDir,
  ensureGatewayFiles,
} from './data-dir.js';
import { type GatewayLinkReportInputs, gatewayHealthExtras, registrationOf } from './gateway-link-report.js';
import { createGatewayServices } from './gateway-services.js';
import { listenOrExplain, StartupError } from './lifecycle.js';
import {
  createStorageUpkeep,
  type StorageUpkeep,
  type StorageUpkeepInputs,
  type StorageUpkeepOptions,
} from './upkeep/storage-upkeep.js';
import { trafficRetentionInForce } from './upkeep/traffic-retention-in-force.js';

/** What is not configuration: the process's logger, clock and version, and first-start answers. */
export interface ContextOverrides {
  /** Default: a JSON logger at the configured level. */
  logger?: Logger | undefined;
  /** The clock every service reads. Default: the wall clock. */
  now?: (() => Date) | undefined;
  version?: string | undefined;
  /** Where each configuration value came from, for the start-up summary (logged when given). */
  sources?: ConfigSources | undefined;
  /** The owner created on first start. */
  adminEmail?: string | undefined;
  adminPassword?: string | undefined;
  /** Retention and disk-watch timings and thresholds (tests shorten them). */
  storage?: StorageUpkeepOptions | undefined;
}

export interface DaemonAddresses {
  controlUrl: string | undefined;
  gatewayUrl: string | undefined;
}

export interface DaemonContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly paths: DataDirPaths;
  readonly gateway: Gateway | undefined;
  readonly control: ControlPlane | undefined;
  /** What the first start created (owner, CLI token), once started; undefined without a control plane. */
  readonly bootstrap: BootstrapResult | undefined;
  /** The gateway's link to its control plane, once started (when there is one to follow). */
  readonly sync: GatewaySync | undefined;
  /** Automatic retention and the disk watch of this process's databases. */
  readonly storage: StorageUpkeep;
  /** Binds (port 0 reads the real port back) and starts following; once. */
  start(): Promise<DaemonAddresses>;
  /** Releases everything built or started, in reverse order; idempotent, never rejects. */
  close(): Promise<void>;
}

export async function createContext(
  config: Config,
  overrides: ContextOverrides = {},
): Promise<DaemonContext> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const now = overrides.now ?? (() => new Date());
  const version = overrides.version ?? '0.0.0';
  const paths = dataDirPaths(config.dataDir);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tameflare_process_' });
  if (overrides.sources) logger.info({ config: summarizeConfig(config, overrides.sources) }, 'configuration');

  const closers: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const release of [...closers].reverse()) {
        try {
          await release();
        } catch (err) {
          logger.error({ err }, 'error while closing');
        }
      }
    })();
    return closing;
  };

  const runsGateway = config.role === 'gateway' || config.role === 'all';
  const runsControl = config.role === 'control' || config.role === 'all';
  // In a single process the two roles still talk over HTTP with a service token; when none is set,
  // a random one that lives only in this process is used.
  const serviceToken =
    config.gatewayServiceToken ??
    (config.role === 'all' ? new Secret(randomBytes(32).toString('base64url')) : undefined);

  let gateway: Gateway | undefined;
  let control: ControlPlane | undefined;
  let bootstrap: BootstrapResult | undefined;
  let sync: GatewaySync | undefined;
  let reporter: GatewayReporter | undefined;
  let linkReport: GatewayLinkReportInputs | undefined;
  let localDb: ControlDatabase | undefined;
  let anchorSigning: AnchorKeys | undefined;
  let gatewayParts: StorageUpkeepInputs['gateway'];
  let storage: StorageUpkeep | undefined;
  const urls: DaemonAddresses = { controlUrl: undefined, gatewayUrl: undefined };
  /** The control plane the gateway follows (and asks about approvals), once started. */
  let followUrl: string | undefined;
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
      const backlog = openOutboxBacklog(paths.gatewayDb);
      closers.push(async () => backlog.close());
      const gatewayLogger = logger.child({ component: 'gateway' });
      const services = createGatewayServices({
        db,
        ca,
        masterKey,
        upstream: {
          caPems: upstreamCaPems,
          connectTo: config.connectTo,
          allowPrivateEgress: config.allowPrivateEgress,
        },
        trafficLogDurability: config.trafficLogDurability,
        registry,
        logger: gatewayLogger,
        now,
        approvals: {
          gatewayName: config.gatewayName,
          target: () => (followUrl && serviceToken ? { url: followUrl, token: serviceToken } : undefined),
        },
      });
      closers.push(() => services.close());
      // Verified against the control plane it follows (known once both have started); skipped at
      // once while that control plane is unreachable (src/sync/decision-token-gate.ts).
      const tokenGate = createDecisionTokenGate({
        check: createDecisionTokenRedeemer({
          controlPlaneUrl: () =>
            config.controlPlaneUrl ?? (config.role === 'all' ? urls.controlUrl : undefined),
          serviceToken,
          gatewayName: config.gatewayName,
          logger: gatewayLogger,
          now,
        }).redeem,
        linkUp: () => sync?.state().connected,
        logger: gatewayLogger,
        now,
      });
      const built = buildGateway(services, {
        host: config.host,
        port: config.gatewayPort,
        agentPortStart: config.agentPortStart,
        maxBodyBytes: config.maxBodyBytes,
        serviceToken,
        shutdownGraceMs: config.shutdownGraceMs,
        version,
        approvalHoldSeconds: config.approvalTimeoutSeconds,
        maxHoldsPerAgent: config.maxHoldsPerAgent,
        healthExtras: () => ({
          ...(linkReport ? gatewayHealthExtras(linkReport) : {}),
          decision_tokens: tokenGate.health(),
          ...storage?.health('gateway'),
        }),
        decisionTokens: tokenGate.check,
      });
      closers.push(() => built.close());
      gateway = built;
      const retentionInForce = trafficRetentionInForce({
        configuredDays: config.trafficRetentionDays,
        configuredFrom: overrides.sources ? overrides.sources.trafficRetentionDays : undefined,
        fromControlPlane: () => built.snapshotRetentionDays(),
      });
      gatewayParts = { db, writer: services.writer, retention: retentionInForce };
      linkReport = {
        config,
        gateway: built,
        version,
        startedAt: now(),
        caPem: ca.certPem,
        caFingerprint: ca.fingerprint256,
        publicUrl: () => config.publicUrl ?? urls.gatewayUrl,
        backlog,
        sync: () => sync,
        reporter: () => reporter,
        retention: () => storage?.trafficRetention(),
      };
    }
    if (runsControl) {
      await ensureControlFiles(paths);
      const db = await openControlDatabase({
        localDbPath: paths.localDb,
        databaseUrl: config.databaseUrl,
        onFeedError: (err, what) => logger.warn({ err }, what),
      }).catch((err: unknown) => {
        // An unreachable database server is an operator's problem to fix: one clear line, not a trace.
        throw err instanceof DatabaseUnavailableError ? new StartupError(err.message, 1) : err;
      });
      closers.push(() => db.close());
      localDb = db;
      if (db.raw) {
        // Checkpoints of local.db's log on a thread of their own, not inside a commit on the event
        // loop (src/storage/wal-checkpointer.ts). Closed before the database (closers run in reverse).
        const checkpointer = startWalCheckpointer(
          db.raw,
          paths.localDb,
          logger.child({ component: 'storage' }),
        );
        closers.push(() => checkpointer.close());
      }
      if (db.kind === 'postgres')
        logger.info({ database: db.location }, 'control plane database: PostgreSQL');
      const keys = signingKeys(readFileSync(paths.signingKey, 'utf8'));
      // One ring for the API and retention: a `keys rotate` is seen by both at once.
      const keyRing = signingKeyRing(db.db, paths.signingKey, now);
      anchorSigning = anchorKeys(keyRing);
      const built = buildControlPlane({
        config,
        logger: logger.child({ component: 'control' }),
        db,
        metrics: registry,
        version,
        now,
        gatewayUrl: () => config.gatewayUrl ?? urls.gatewayUrl,
        serviceToken,
        signingKeys: keys,
        keyRing,
        healthExtras: () => ({ ...storage?.health('control') }),
      });
      closers.push(() => built.close());
      control = built;
    }
    const upkeep = createStorageUpkeep({
      config,
      dataDir: paths.dir,
      logger,
      now,
      registry,
      gateway: gatewayParts,
      control: localDb ? { db: localDb, keys: anchorSigning } : undefined,
      options: overrides.storage,
    });
    storage = upkeep;
    closers.push(() => upkeep.close()); // closed first: no sweep runs while the rest shuts down
  } catch (err) {
    await close();
    throw err;
  }

  let starting: Promise<DaemonAddresses> | undefined;
  async function start(): Promise<DaemonAddresses> {
    if (gateway) {
      const gw = gateway;
      const { port } = await listenOrExplain(
        () => gw.start(),
        'gateway',
        '--gateway-port',
        config.gatewayPort,
      );
      urls.gatewayUrl = `http://${urlHost(config.host)}:${port}`;
      if (config.role === 'gateway' && !config.publicUrl) {
        logger.warn(
          { registered: urls.gatewayUrl },
          'no public URL (--public-url / TAMEFLARE_PUBLIC_URL): agents on other hosts cannot use the address this gateway registers',
        );
      }
    }
    if (control && localDb) {
      // Only once the gateway has bound: a port conflict there must not leave behind an owner whose
      // generated password was never printed (it is printed after a successful start).
      // Processes sharing one PostgreSQL database may start together: one creates the first owner.
      bootstrap = await localDb.exclusive((db) =>
        bootstrapControlPlane(db, paths, {
          adminEmail: overrides.adminEmail,
          adminPassword: overrides.adminPassword,
        }),
      );
      const cp = control;
      const { port } = await listenOrExplain(() => cp.start(), 'control plane', '--port', config.port);
      urls.controlUrl = `http://${urlHost(config.host)}:${port}`;
    }
    // The gateway follows its control plane: the one in this process, or CONTROL_PLANE_URL.
    followUrl = config.controlPlaneUrl ?? (config.role === 'all' ? urls.controlUrl : undefined);
    if (gateway && followUrl && serviceToken && linkReport) {
      const gw = gateway;
      const report = linkReport;
      const registration = startGatewayReporter({
        controlPlaneUrl: followUrl,
        serviceToken,
        registration: () => registrationOf(report),
        logger: logger.child({ component: 'sync' }),
      });
      reporter = registration;
      closers.push(async () => registration.close());
      // Registered before "ready" when the control plane answers at once (always in role all), so the
      // CLI finds this gateway's address and CA as soon as the daemon says it is ready.
      await Promise.race([registration.reportNow(), new Promise((r) => setTimeout(r, 2000).unref())]);
      const link = startGatewaySync({
        controlPlaneUrl: followUrl,
        serviceToken,
        gatewayName: config.gatewayName,
        version,
        streamHeaders: { [GATEWAY_CA_HEADER]: report.caFingerprint },
        applySnapshot: async (s) => {
          const before = gw.snapshotRetentionDays();
          await gw.applySnapshot(s, { followOlder: true });
          // A retention changed on the dashboard is applied now, not at the next scheduled sweep.
          if (gw.snapshotRetentionDays() !== before) void storage?.sweepNow().then(() => registration.soon());
          registration.soon(); // ports may have opened or failed
        },
        onEvent: (event, data) => gw.approvalEvent(event, data),
        // The control plane followed is this process's own: its intake is a function call away.
        deliver: control && followUrl === urls.controlUrl ? control.deliverOutbox : undefined,
        outbox: {
          pending: (limit) => gw.outbox.pending(limit),
          acknowledge: (uptoId) => {
            gw.outbox.acknowledge(uptoId);
            report.backlog.acknowledged(uptoId);
          },
          onAppend: (cb) => gw.outbox.onAppend(cb),
        },
        logger: logger.child({ component: 'sync' }),
      });
      sync = link;
      // Closed first (it was started last): stop following, then ship what is left.
      closers.push(async () => {
        await link.flush();
        await link.close();
      });
    } else if (gateway && config.role === 'gateway') {
      logger.warn('no CONTROL_PLANE_URL and GATEWAY_SERVICE_TOKEN: running on the cached configuration only');
    }
    storage?.start();
    logger.info(
      { role: config.role, control: urls.controlUrl, gateway: urls.gatewayUrl, dataDir: paths.dir },
      'ready',
    );
    return { ...urls };
  }

  return {
    config,
    logger,
    now,
    paths,
    gateway,
    control,
    get bootstrap() {
      return bootstrap;
    },
    get sync() {
      return sync;
    },
    storage: storage as StorageUpkeep, // built above, or createContext threw
    start() {
      starting ??= start();
      return starting;
    },
    close,
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

/** A bind address as a host to connect to (the wildcard addresses become loopback). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
