import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { dataDirPaths, resolveDataDir } from '../../daemon/data-dir-paths.js';
import { addExamples } from '../add-examples.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function registerPruneCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('prune')
    .description('delete gateway traffic-log rows older than N days (works while the daemon runs)')
    .requiredOption('--days <n>', 'keep this many days: rows with created_at < date(now, -N days) go')
    .option('--vacuum', 'reclaim the freed space (rewrites the file)')
    .option('--dry-run', 'count the rows without deleting')
    .option('--data-dir <dir>', 'data directory (env TAMEFLARE_DATA_DIR, default ./.tameflare)')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        days: string;
        vacuum?: boolean;
        dryRun?: boolean;
        dataDir?: string;
        json?: boolean;
      }) => {
        if (!/^\d+$/.test(opts.days) || Number(opts.days) > 36_500) {
          throw new CliError(
            `invalid --days ${JSON.stringify(opts.days)}: must be a whole number of days (0 to 36500)`,
            2,
          );
        }
        const paths = dataDirPaths(resolveDataDir(opts.dataDir, ctx.env));
        if (!existsSync(paths.gatewayDb))
          throw new CliError(`no gateway.db in ${paths.dir}: nothing to prune`);
        const [{ openSqlite }, { pruneTrafficLog }] = await Promise.all([
          import('../../storage/open-database.js'),
          import('../../storage/prune-traffic-log.js'),
        ]);
        const raw = openSqlite(paths.gatewayDb);
        try {
          const hasTable = raw
            .prepare("select 1 from sqlite_master where type = 'table' and name = 'traffic_log'")
            .get();
          if (!hasTable)
            throw new CliError(`${paths.gatewayDb} has no traffic_log table (run tameflare init)`);
          const tty = Boolean(ctx.stderr.isTTY) && !opts.json;
          const result = await pruneTrafficLog(raw, paths.gatewayDb, {
            days: Number(opts.days),
            vacuum: Boolean(opts.vacuum),
            dryRun: Boolean(opts.dryRun),
            onProgress: tty
              ? (p) => ctx.stderr.write(`\rpruning traffic_log: ${p.deleted}/${p.total} rows`)
              : undefined,
          });
          if (tty && result.deleted > 0) ctx.stderr.write('\n');
          if (opts.json) {
            printJson(ctx, {
              cutoff: result.cutoff,
              rows_matched: result.matched,
              rows_removed: result.deleted,
              size_before: result.sizeBefore,
              size_after: result.sizeAfter,
              vacuumed: result.vacuumed,
              dry_run: result.dryRun,
            });
            return;
          }
          if (result.dryRun) {
            print(
              ctx,
              `${result.matched} traffic_log rows are older than ${result.cutoff} (dry run: nothing deleted)`,
            );
          } else {
            print(ctx, `removed ${result.deleted} traffic_log rows older than ${result.cutoff}`);
          }
          print(
            ctx,
            `gateway.db: ${formatBytes(result.sizeBefore)} before, ${formatBytes(result.sizeAfter)} after${
              result.vacuumed
                ? ' (vacuumed)'
                : result.dryRun
                  ? ''
                  : ' (run with --vacuum to reclaim the space)'
            }`,
          );
        } finally {
          raw.close();
        }
      },
    );
  addExamples(cmd, [
    'tameflare prune --days 30',
    'tameflare prune --days 30 --vacuum',
    'tameflare prune --days 7 --dry-run',
  ]);
}
