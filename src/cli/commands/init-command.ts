import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { BootstrapResult } from '../../daemon/bootstrap.js';
import { bootstrapNotice } from '../../daemon/bootstrap-notice.js';
import { dataDirPaths, resolveDataDir } from '../../daemon/data-dir-paths.js';
import type { GatewayDatabase } from '../../storage/gateway-schema.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { addExamples } from '../add-examples.js';
import { type CliContext, print, printJson } from '../cli-context.js';

export function registerInitCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('init')
    .description('create the data directory: databases, interception CA, keys, first owner, CLI token')
    .option('--data-dir <dir>', 'data directory (env TAMEFLARE_DATA_DIR, default ./.tameflare)')
    .option('--admin-email <email>', 'email of the first owner (default admin@localhost)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dataDir?: string; adminEmail?: string; json?: boolean }) => {
      // Loaded here, not at start-up: other commands should not pay for crypto and SQLite.
      const [{ GATEWAY_MIGRATIONS, LOCAL_MIGRATIONS }, { bootstrapControlPlane }, dataDir, { openDatabase }] =
        await Promise.all([
          import('../../../migrations/index.js'),
          import('../../daemon/bootstrap.js'),
          import('../../daemon/data-dir.js'),
          import('../../storage/open-database.js'),
        ]);
      const { ensureControlFiles, ensureDataDir, ensureGatewayFiles } = dataDir;
      const paths = dataDirPaths(resolveDataDir(opts.dataDir, ctx.env));
      const created: string[] = [];
      const existing: string[] = [];
      let bootstrap: BootstrapResult | undefined;
      if (ensureDataDir(paths)) created.push(paths.dir);
      for (const r of [
        await ensureGatewayFiles(paths, { masterKeyFromEnv: Boolean(ctx.env.TAMEFLARE_MASTER_KEY) }),
        await ensureControlFiles(paths),
      ]) {
        created.push(...r.created);
        existing.push(...r.existing);
      }
      for (const [file, migrations] of [
        [paths.gatewayDb, GATEWAY_MIGRATIONS],
        [paths.localDb, LOCAL_MIGRATIONS],
      ] as const) {
        const isNew = !existsSync(file);
        const db = await openDatabase<GatewayDatabase | LocalDatabase>(file, migrations);
        if (file === paths.localDb) {
          bootstrap = await bootstrapControlPlane(db.db as never, paths, {
            adminEmail: opts.adminEmail,
            adminPassword: ctx.env.TAMEFLARE_ADMIN_PASSWORD,
          });
          if (bootstrap.owner) created.push(`owner ${bootstrap.owner.email}`);
          (bootstrap.cliTokenCreated ? created : existing).push('cli.token');
        }
        await db.close();
        (isNew ? created : existing).push(file === paths.localDb ? 'local.db' : 'gateway.db');
      }
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
