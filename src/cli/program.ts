// The commander program. One file per command group registers its commands; this file only wires
// them together and turns usage errors into one line with exit code 2.
import { Command, CommanderError } from 'commander';
import { addExamples } from './add-examples.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { registerAgentCommand } from './commands/agent-command.js';
import { registerApprovalsCommand } from './commands/approvals-command.js';
import { registerAuditCommand } from './commands/audit-command.js';
import { registerCaCommand } from './commands/ca-command.js';
import { registerConfigCommand } from './commands/config-command.js';
import { registerConnectorCommand } from './commands/connector-command.js';
import { registerDoctorCommand } from './commands/doctor-command.js';
import { registerDryRunCommand } from './commands/dry-run-command.js';
import { registerEnvCommand } from './commands/env-command.js';
import { registerGatewayCommand } from './commands/gateway-command.js';
import { registerInitCommand } from './commands/init-command.js';
import { registerKeysCommand } from './commands/keys-command.js';
import { registerKillSwitchCommand } from './commands/kill-switch-command.js';
import { registerLogsCommand } from './commands/logs-command.js';
import { registerPermissionsCommand } from './commands/permissions-command.js';
import { registerPolicyCommand } from './commands/policy-command.js';
import { registerPruneCommand } from './commands/prune-command.js';
import { registerRateLimitCommand } from './commands/rate-limit-command.js';
import { registerRunCommand } from './commands/run-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerStatusCommand } from './commands/status-command.js';
import { registerSystemdUnitCommand } from './commands/systemd-unit-command.js';
import { registerTokenCommand } from './commands/token-command.js';
import { registerUserCommand } from './commands/user-command.js';
import { outputClosed } from './output-closed.js';

/** A command's action resolves to the process exit code (0 when it returns nothing). */
export type CommandResult = number | undefined;

export function buildProgram(ctx: CliContext, setResult: (code: number) => void): Command {
  const program = new Command('tameflare')
    .description('TameFlare: a self-hosted gateway that governs what AI agents do on the network')
    .version(ctx.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  const version = program
    .command('version')
    .description('print the version')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      ctx.stdout.write(
        opts.json
          ? `${JSON.stringify({ version: ctx.version, node: process.version })}\n`
          : `${ctx.version}\n`,
      );
    });
  addExamples(version, ['tameflare version', 'tameflare version --json']);
  const register = [
    registerInitCommand,
    registerServeCommand,
    registerStatusCommand,
    registerSystemdUnitCommand,
    registerPruneCommand,
    registerAgentCommand,
    registerConnectorCommand,
    registerPermissionsCommand,
    registerPolicyCommand,
    registerDryRunCommand,
    registerRateLimitCommand,
    registerConfigCommand,
    registerKillSwitchCommand,
    registerApprovalsCommand,
    registerLogsCommand,
    registerEnvCommand,
    registerRunCommand,
    registerCaCommand,
    registerUserCommand,
    registerTokenCommand,
    registerAuditCommand,
    registerGatewayCommand,
    registerDoctorCommand,
    registerKeysCommand,
  ];
  for (const r of register) r(program, ctx, setResult);
  return program;
}

export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  return Promise.race([runProgram(argv, ctx), outputClosed(ctx.stdout)]);
}

async function runProgram(argv: string[], ctx: CliContext): Promise<number> {
  let result = 0;
  const program = buildProgram(ctx, (code) => {
    result = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander.
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return 0;
      }
      return 2;
    }
    if (err instanceof CliError) throw err;
    throw err;
  }
  return result;
}
