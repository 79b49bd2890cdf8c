// `tameflare kill-switch`: stop everything, one agent, or one connector, at once. One command with
// three exclusive modes (as in SPEC 9) rather than subcommands, so validation is explicit here.
import type { Command } from 'commander';
import type { KillSwitchEntry, KillSwitchState } from '../../wire/kill-switch.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, query } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { formatTable } from '../format-table.js';

export interface KillSwitchFlags {
  activate?: boolean;
  deactivate?: boolean;
  status?: boolean;
  scope?: string;
  reason?: string;
}

export type KillSwitchOperation =
  | { op: 'activate'; scope: string; reason: string | undefined }
  | { op: 'deactivate'; scope: string | undefined }
  | { op: 'status' };

export function validateScope(scope: string): string {
  if (scope === 'all' || /^(agent|connector):\S+$/.test(scope)) return scope;
  throw new CliError(
    `invalid --scope ${JSON.stringify(scope)}: expected all, agent:NAME or connector:TYPE`,
    2,
  );
}

/** Exactly one of --activate, --deactivate, --status; --scope and --reason only where they mean something. */
export function parseKillSwitchFlags(flags: KillSwitchFlags): KillSwitchOperation {
  const modes = (['activate', 'deactivate', 'status'] as const).filter((m) => flags[m]);
  if (modes.length !== 1) {
    throw new CliError(
      modes.length === 0
        ? 'choose one of --activate, --deactivate or --status'
        : `--${modes.join(' and --')} cannot be combined: choose one`,
      2,
    );
  }
  const mode = modes[0]!;
  if (flags.reason !== undefined && mode !== 'activate') {
    throw new CliError('--reason goes with --activate only', 2);
  }
  if (mode === 'status') {
    if (flags.scope !== undefined) throw new CliError('--status shows every scope; drop --scope', 2);
    return { op: 'status' };
  }
  if (mode === 'activate') {
    return { op: 'activate', scope: validateScope(flags.scope ?? 'all'), reason: flags.reason };
  }
  return { op: 'deactivate', scope: flags.scope === undefined ? undefined : validateScope(flags.scope) };
}

function printActive(ctx: CliContext, active: readonly KillSwitchEntry[]): void {
  if (active.length === 0) {
    print(ctx, 'kill switch: off (traffic is decided normally)');
    return;
  }
  print(ctx, `kill switch: ON for ${active.map((e) => e.scope).join(', ')}`);
  ctx.stdout.write(
    formatTable(
      [{ header: 'scope' }, { header: 'since' }, { header: 'by' }, { header: 'reason' }],
      active.map((e) => [e.scope, e.activated_at, e.activated_by, e.reason]),
    ),
  );
}

export function registerKillSwitchCommand(program: Command, ctx: CliContext): void {
  const cmd = addApiOptions(
    program
      .command('kill-switch')
      .description("block all traffic, or one agent's or one connector's, until deactivated")
      .option('--activate', 'turn the kill switch on for --scope (default all)')
      .option('--deactivate', 'turn it off for --scope (default: every active scope)')
      .option('--status', 'show what is blocked')
      .option('--scope <scope>', 'all | agent:NAME | connector:TYPE')
      .option('--reason <text>', 'why (recorded in the audit log)'),
  ).action(async (opts: ApiOptions & KillSwitchFlags) => {
    const operation = parseKillSwitchFlags(opts);
    const api = apiClientFor(ctx, opts);
    let res: KillSwitchState;
    if (operation.op === 'status') {
      res = await api.request('GET', '/v1/kill-switch');
    } else if (operation.op === 'activate') {
      res = await api.request('POST', '/v1/kill-switch', {
        scope: operation.scope,
        ...(operation.reason !== undefined ? { reason: operation.reason } : {}),
      });
    } else {
      res = await api.request('DELETE', `/v1/kill-switch${query({ scope: operation.scope })}`);
    }
    if (opts.json) return printJson(ctx, res);
    printActive(ctx, res.active);
  });
  addExamples(cmd, [
    'tameflare kill-switch --activate --reason "incident 42"',
    'tameflare kill-switch --activate --scope agent:support-bot',
    'tameflare kill-switch --deactivate --scope connector:stripe',
    'tameflare kill-switch --status --json',
  ]);
}
