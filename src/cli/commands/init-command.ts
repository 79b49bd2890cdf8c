import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { checkDatabaseUrl } from '../../config/database-url.js';
import { Secret } from '../../config/secret.js';
import type { BootstrapResult } from '../../daemon/bootstrap.js';
import { bootstrapNotice } from '../../daemon/bootstrap-notice.js';
import { dataDirPaths, resolveDataDir } from '../../daemon/data-dir-paths.js';
import type { GatewayDatabase } from '../../storage/gateway-schema.js';
import { addExamples } from '../add-examples.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';

export function registerInitCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('init')
    .description('create the data directory: databases, interception CA, keys, first owner, CLI token')
    .option('--data-dir <dir>', 'data directory (env TAMEFLARE_DATA_DIR, default ./.tameflare)')
    .option('--admin-email <email>', 'email of the first owner (default admin@localhost)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dataDir?: string; adminEmail?: string; json?: boolean }) => {
      // Loaded here, not at start-up: other commands should not pay for crypto and SQLite.
      const [
        { GATEWAY_MIGRATIONS },
        { bootstrapControlPlane },
        dataDir,
        { openDatabase },
        { openControlDatabase },
      ] = await Promise.all([
        import('../../../migrations/index.js'),
        import('../../daemon/bootstrap.js'),
        import('../../daemon/data-dir.js'),
        import('../../storage/open-database.js'),
        import('../../storage/control-database.js'),
      ]);
      const { ensureControlFiles, ensureDataDir, ensureGatewayFiles } = dataDir;
      const paths = dataDirPaths(resolveDataDir(opts.dataDir, ctx.env));
      const databaseUrl = controlDatabaseUrl(ctx.env.TAMEFLARE_DATABASE_URL);
      const created: string[] = [];
      const existing: string[] = [];
      if (ensureDataDir(paths)) created.push(paths.dir);
      for (const r of [
        await ensureGatewayFiles(paths, { masterKeyFromEnv: Boolean(ctx.env.TAMEFLARE_MASTER_KEY) }),
        await ensureControlFiles(paths),
      ]) {
        created.push(...r.created);
        existing.push(...r.existing);
      }
      const gatewayIsNew = !existsSync(paths.gatewayDb);
      await (await openDatabase<GatewayDatabase>(paths.gatewayDb, GATEWAY_MIGRATIONS)).close();
      (gatewayIsNew ? created : existing).push('gateway.db');
      // The control plane's database: local.db, or the PostgreSQL database of TAMEFLARE_DATABASE_URL.
      const localIsNew = !databaseUrl && !existsSync(paths.localDb);
      const control = await openControlDatabase({ localDbPath: paths.localDb, databaseUrl });
      let bootstrap: BootstrapResult;
      try {
        bootstrap = await control.exclusive((db) =>
          bootstrapControlPlane(db, paths, {
            adminEmail: opts.adminEmail,
            adminPassword: ctx.env.TAMEFLARE_ADMIN_PASSWORD,
          }),
        );
      } finally {
        await control.close();
      }
      if (bootstrap.owner) created.push(`owner ${bootstrap.owner.email}`);
      (bootstrap.cliTokenCreated ? created : existing).push('cli.token');
      (localIsNew ? created : existing).push(databaseUrl ? control.location : 'local.db');
      if (opts.json) {
        printJson(ctx, { data_dir: paths.dir, created, existing, owner: bootstrap?.owner ?? null });
        return;
      }
      if (created.length === 0) {
        print(ctx, `Nothing to do: ${paths.dir} is already initialised.`);
        return;
      }
      if (bootstrap) ctx.stdout.write(bootstrapNotice({ ...bootstrap, cliTokenCreated: false }));
      print(ctx, `Initialised ${paths.dir}`);
      print(ctx, `  created: ${created.join(', ')}`);
      if (existing.length) print(ctx, `  kept:    ${existing.join(', ')}`);
      print(ctx, `Next: tameflare serve --data-dir ${paths.dir}`);
    });
  addExamples(cmd, [
    'tameflare init',
    'TAMEFLARE_ADMIN_PASSWORD=… tameflare init --admin-email ops@example.com',
  ]);
}

function controlDatabaseUrl(value: string | undefined): Secret | undefined {
  if (!value) return undefined;
  try {
    checkDatabaseUrl(value.trim());
  } catch (err) {
    throw new CliError(`invalid TAMEFLARE_DATABASE_URL: ${(err as Error).message}`);
  }
  return new Secret(value.trim());
}
