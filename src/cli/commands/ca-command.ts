// `tameflare ca path|pem`: the interception CA an agent must trust, which is its own gateway's.
// With --gateway or --agent it comes through the control plane (verified against the fingerprint the
// gateway registered, cached in the data dir); with --local it is this data directory's own; with
// neither, the control plane's only gateway, or this data directory's CA when that is a registered
// gateway's or the control plane cannot be reached (trusting a CA is often set up before, or
// without, a reachable control plane).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { dataDirPaths } from '../../daemon/data-dir-paths.js';
import type { AgentAnswer } from '../../wire/agents.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, dataDirOf, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { gatewayTrust, localCaFingerprint, soleGateway } from '../gateway-trust.js';

interface CaFlags extends ApiOptions {
  bundle?: boolean;
  gateway?: string;
  agent?: string;
  local?: boolean;
}

/** The CA certificate (or the bundle) as text, or a one-line error that says how to create it. */
export function readCaFile(path: string, hint = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        `no CA at ${path}: run \`tameflare init\` (or start \`tameflare serve\`) first${hint}`,
      );
    }
    throw new CliError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The file to show: the chosen gateway's (through the control plane) or this data directory's own. */
async function pick(ctx: CliContext, opts: CaFlags): Promise<string> {
  const dataDir = dataDirOf(ctx, opts);
  const local = dataDirPaths(dataDir);
  const localFile = opts.bundle ? local.caBundle : local.caCert;
  if ([opts.local, opts.gateway, opts.agent].filter(Boolean).length > 1)
    throw new CliError('give one of --local, --gateway and --agent', 2);
  if (opts.local) return localFile;
  const api = apiClientFor(ctx, opts);
  let gateway = opts.gateway;
  if (opts.agent) {
    gateway = (await api.request<AgentAnswer>('GET', `/v1/agents/${segment(opts.agent)}`)).agent.gateway;
  }
  if (gateway === undefined) {
    const localFp = localCaFingerprint(dataDir);
    try {
      gateway = await soleGateway(api, localFp);
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode === 2) throw err;
      if (localFp === undefined)
        readCaFile(localFile, `, or name a gateway with a reachable control plane (${err.message})`);
      ctx.stderr.write(`tameflare: note: ${err.message}; showing this data directory's own CA\n`);
      return localFile;
    }
    if (gateway === undefined) {
      readCaFile(localFile, ' (no gateway has registered with the control plane either)');
      return localFile;
    }
  }
  const trust = await gatewayTrust(ctx, api, dataDir, gateway);
  return opts.bundle ? trust.caBundlePath : trust.caCertPath;
}

export function registerCaCommand(program: Command, ctx: CliContext): void {
  const ca = program.command('ca').description('the interception CA that agents must trust');
  const common = (cmd: Command) =>
    addApiOptions(cmd, { json: false })
      .option('--bundle', 'the bundle of system roots plus the CA (ca-bundle.pem) instead of ca.crt')
      .option('--gateway <name>', "this gateway's CA, through the control plane")
      .option('--agent <name>', "the CA of this agent's gateway, through the control plane")
      .option('--local', "this data directory's own CA, without asking the control plane");

  const path = common(ca.command('path').description('print the absolute path of the CA certificate'))
    .option('--json', 'machine-readable output')
    .action(async (opts: CaFlags) => {
      const file = await pick(ctx, opts);
      readCaFile(file); // only to fail clearly when it is missing
      if (opts.json) return printJson(ctx, { path: file });
      print(ctx, file);
    });
  addExamples(path, [
    'tameflare ca path',
    'NODE_EXTRA_CA_CERTS="$(tameflare ca path --agent support-bot)" node agent.js',
  ]);

  const pem = common(ca.command('pem').description('print the CA certificate (PEM)')).action(
    async (opts: CaFlags) => {
      ctx.stdout.write(readCaFile(await pick(ctx, opts)));
    },
  );
  addExamples(pem, [
    'tameflare ca pem > tameflare-ca.crt',
    'tameflare ca pem --gateway eu-1 --url https://cp.example.com',
    'tameflare ca pem --local --data-dir /var/lib/tameflare',
  ]);
}
