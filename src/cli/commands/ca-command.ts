// `tameflare ca path|pem`: the interception CA, read from the data dir. Local on purpose: trusting
// the CA is set up on the agent's machine, often before (or without) a reachable control plane.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { dataDirPaths } from '../../daemon/data-dir-paths.js';
import { addExamples } from '../add-examples.js';
import { dataDirOf } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';

interface CaFlags {
  dataDir?: string;
  bundle?: boolean;
  json?: boolean;
}

/** The CA certificate (or the bundle) as text, or a one-line error that says how to create it. */
export function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`no CA at ${path}: run \`tameflare init\` (or start \`tameflare serve\`) first`);
    }
    throw new CliError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function pick(ctx: CliContext, opts: CaFlags): string {
  const paths = dataDirPaths(dataDirOf(ctx, opts));
  return opts.bundle ? paths.caBundle : paths.caCert;
}

export function registerCaCommand(program: Command, ctx: CliContext): void {
  const ca = program.command('ca').description('the interception CA that agents must trust');
  const common = (cmd: Command) =>
    cmd
      .option('--data-dir <dir>', 'data directory (env TAMEFLARE_DATA_DIR, default ./.tameflare)')
      .option('--bundle', 'the bundle of system roots plus the CA (ca-bundle.pem) instead of ca.crt');

  const path = common(ca.command('path').description('print the absolute path of the CA certificate'))
    .option('--json', 'machine-readable output')
    .action((opts: CaFlags) => {
      const file = pick(ctx, opts);
      readCaFile(file); // only to fail clearly when it is missing
      if (opts.json) return printJson(ctx, { path: file });
      print(ctx, file);
    });
  addExamples(path, ['tameflare ca path', 'NODE_EXTRA_CA_CERTS="$(tameflare ca path)" node agent.js']);

  const pem = common(ca.command('pem').description('print the CA certificate (PEM)')).action(
    (opts: CaFlags) => {
      ctx.stdout.write(readCaFile(pick(ctx, opts)));
    },
  );
  addExamples(pem, ['tameflare ca pem > tameflare-ca.crt', 'tameflare ca pem --data-dir /var/lib/tameflare']);
}
