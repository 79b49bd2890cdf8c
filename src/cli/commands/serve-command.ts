import type { Command } from 'commander';
import { bootstrapNotice } from '../../daemon/bootstrap-notice.js';
import type { Daemon } from '../../daemon/start-daemon.js';
import { addExamples } from '../add-examples.js';
import { type CliContext, loadConfig } from '../cli-context.js';
import { CliError } from '../cli-error.js';

interface ServeFlags {
  dataDir?: string;
  role?: string;
  host?: string;
  port?: string;
  gatewayPort?: string;
  agentPortStart?: string;
  agentPortEnd?: string;
  publicUrl?: string;
  upstreamCa?: string[];
  connectTo?: string[];
  unsafeAllowPrivateEgress?: string;
  logLevel?: string;
  gatewayName?: string;
  trafficLogDurability?: string;
  trafficRetentionDays?: string;
  adminEmail?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function registerServeCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const cmd = program
    .command('serve')
    .description('run the control plane, the gateway, or both (default)')
    .option('--data-dir <dir>', 'data directory (env TAMEFLARE_DATA_DIR, default ./.tameflare)')
    .option('--role <role>', 'control | gateway | all (default all)')
    .option('--host <host>', 'bind address (default 127.0.0.1)')
    .option('--port <port>', 'control plane port (default 3000)')
    .option('--gateway-port <port>', 'gateway proxy port (default 9443)')
    .option('--agent-port-start <port>', 'first dedicated agent port (default 9444)')
    .option('--agent-port-end <port>', 'last dedicated agent port (default start + 999)')
    .option(
      '--public-url <url>',
      "the gateway's address as agents reach it, http://HOST:PORT (default: its bound address)",
    )
    .option('--upstream-ca <file>', 'extra CA certificates to trust upstream (repeatable)', collect)
    .option('--connect-to <H:P:H2:P2>', 'dial H2:P2 for requests to H:P (repeatable, as curl)', collect)
    .option(
      '--unsafe-allow-private-egress <cidrs>',
      'let the gateway dial these private ranges (comma-separated)',
    )
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--gateway-name <name>', 'name this gateway registers under (default "default")')
    .option(
      '--traffic-log-durability <mode>',
      'strict (row committed before the upstream is dialled) | batched (see docs/operations.md)',
    )
    .option(
      '--traffic-retention-days <days>',
      'traffic-log rows older than this are removed in the background; 0 keeps them (default 30)',
    )
    .option('--admin-email <email>', 'email of the owner created on first start (default admin@localhost)')
    .action(async (flags: ServeFlags) => {
      const { config, sources } = loadConfig(ctx, flags);
      const [{ startDaemon }, { runUntilSignalled, StartupError }, { createLogger }] = await Promise.all([
        import('../../daemon/start-daemon.js'),
        import('../../daemon/lifecycle.js'),
        import('../../logging/create-logger.js'),
      ]);
      const logger = createLogger({
        level: config.logLevel,
        pretty: Boolean(ctx.stderr.isTTY) && ctx.env.CI !== 'true',
      });
      let daemon: Daemon;
      try {
        daemon = await startDaemon({
          config,
          sources,
          logger,
          version: ctx.version,
          adminEmail: flags.adminEmail,
          adminPassword: ctx.env.TAMEFLARE_ADMIN_PASSWORD,
        });
      } catch (err) {
        if (err instanceof StartupError) throw new CliError(err.message, err.exitCode);
        if ((err as Error).name === 'VaultError' || (err as Error).name === 'MigrationError') {
          throw new CliError((err as Error).message, 1);
        }
        throw err;
      }
      if (daemon.bootstrap) ctx.stderr.write(bootstrapNotice(daemon.bootstrap));
      // A shutdown that cannot finish rejects with ExitNow, which main.ts turns into an exit.
      setResult(await runUntilSignalled(daemon, { logger, graceMs: config.shutdownGraceMs }));
    });
  addExamples(cmd, [
    'tameflare serve',
    'tameflare serve --role=gateway --gateway-port 9443',
    'CONTROL_PLANE_URL=https://cp.internal:3000 GATEWAY_SERVICE_TOKEN=… tameflare serve --role=gateway',
    'tameflare serve --role=gateway --host 0.0.0.0 --public-url http://agents-1.internal:9443 --gateway-name agents-1',
  ]);
}
