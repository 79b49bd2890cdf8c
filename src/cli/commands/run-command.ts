// `tameflare run --agent NAME [--] COMMAND [ARGS...]`: runs an unmodified command as an agent.
//
// Threat model: the child is the agent, so it must hold nothing more than the agent's own
// credential. It gets a session key that is revoked when it exits (signals included, as runChild
// keeps this process alive until then), and none of the operator's or the daemon's secrets:
// main.ts already removed them from process.env, and they are dropped here from ctx.env too.
import type { Command } from 'commander';
import { IsolationError } from '../../agent-env/isolate/isolation-support.js';
import { ISOLATED_PROXY_URL, runIsolated } from '../../agent-env/isolate/run-isolated.js';
import { ChildStartError, exitCodeFor, runChild } from '../../agent-env/run-child.js';
import { SECRET_ENV_VARS } from '../../config/resolve-config.js';
import { dataDirPaths } from '../../daemon/data-dir-paths.js';
import { addExamples } from '../add-examples.js';
import { addApiOptions, apiClientFor, dataDirOf } from '../api-options.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { trustVisibleInside } from '../gateway-trust.js';
import {
  type AgentSession,
  type AgentSessionFlags,
  addAgentSessionOptions,
  agentEnvironment,
  openAgentSession,
} from './env-command.js';

/** Variables the child never inherits, whatever main.ts removed. */
export const WITHHELD_FROM_CHILD: readonly string[] = [
  ...new Set([...SECRET_ENV_VARS, 'TAMEFLARE_AGENT_KEY']),
];

/** The child's environment: ours minus every secret, plus the agent's proxy and CA settings. */
export function childEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  agentVars: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !WITHHELD_FROM_CHILD.includes(name)) env[name] = value;
  }
  return { ...env, ...agentVars };
}

export function registerRunCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  // passThroughOptions (everything after COMMAND is its own) needs positional options on the
  // parent; the program's own options (--version, --help) then only count before the subcommand.
  program.enablePositionalOptions();
  const cmd = addApiOptions(
    addAgentSessionOptions(
      program
        .command('run')
        .description(
          'run a command as an agent: through the gateway, trusting its CA; exit code passes through',
        )
        .argument('<command...>', 'the command and its arguments')
        .option(
          '--isolate',
          'Linux: run in namespaces where the gateway is the only way out (docs/isolation.md)',
        )
        .passThroughOptions(),
    ),
    { json: false },
  ).action(async (argv: string[], opts: AgentSessionFlags & { isolate?: boolean }) => {
    const [command, ...args] = argv;
    if (command === undefined || command === '') throw new CliError('no command to run', 2);
    const api = apiClientFor(ctx, opts);
    const session = await openAgentSession(ctx, api, opts);
    let code: number;
    try {
      // Isolated, the child's proxy is the bridge inside its namespace, which needs no credential,
      // and the CA files must be ones it can see (the data directory is covered inside).
      const proxyUrl = opts.isolate ? ISOLATED_PROXY_URL : session.proxyUrl;
      const trust = opts.isolate ? trustVisibleInside(session.trust) : { ...session.trust, close() {} };
      try {
        const agentEnv = await agentEnvironment(ctx, opts, { proxyUrl, trust }, 'run');
        try {
          const env = childEnvironment(ctx.env, agentEnv.vars);
          const result = opts.isolate
            ? await runIsolated({
                command,
                args,
                env,
                proxyUrl: session.proxyUrl,
                dataDir: dataDirPaths(dataDirOf(ctx, opts)).dir,
                stderr: ctx.stderr,
              })
            : await runChild(command, args, env);
          code = exitCodeFor(result);
        } finally {
          await agentEnv.close();
        }
      } finally {
        trust.close();
      }
    } catch (err) {
      await revoke(ctx, session);
      if (err instanceof ChildStartError || err instanceof IsolationError)
        throw new CliError(err.message, err.exitCode);
      throw err;
    }
    await revoke(ctx, session);
    setResult(code);
  });
  addExamples(cmd, [
    'tameflare run --agent support-bot -- python3 agent.py',
    'tameflare run --agent ci -- curl -sS https://api.github.com/user',
    'tameflare run --agent ci --ttl 600 node agent.js --verbose',
    'TAMEFLARE_AGENT_KEY=tf_agent_… tameflare run --agent ci -- ./agent.sh',
  ]);
}

/** A key that cannot be revoked still expires on its own: warn, do not fail the run. */
async function revoke(ctx: CliContext, session: AgentSession): Promise<void> {
  try {
    await session.revoke();
  } catch (err) {
    ctx.stderr.write(
      `tameflare: warning: could not revoke the session key (${(err as Error).message}); ` +
        `it expires at ${session.issued?.expiresAt ?? 'its set time'}\n`,
    );
  }
}
