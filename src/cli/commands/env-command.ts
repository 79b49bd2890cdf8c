// `tameflare env --agent NAME`: the environment `run` would give a child, printed for a shell, a
// dotenv file or a script. Unless a key is given, it asks the control plane for a session key: an
// operator's token never reaches the agent, and what does reach it expires on its own.
import { type Command, Option } from 'commander';
import { type AgentEnvironment, prepareAgentEnvironment } from '../../agent-env/agent-environment.js';
import { type EnvironmentFormat, formatEnvironment, proxyUrlFor } from '../../agent-env/proxy-env.js';
import { dataDirPaths } from '../../daemon/data-dir-paths.js';
import type { AgentAnswer, AgentView, SessionKeyAnswer } from '../../wire/agents.js';
import { addExamples } from '../add-examples.js';
import { proxyAddress } from '../agent-proxy-urls.js';
import type { ApiClient } from '../api-client.js';
import {
  type ApiOptions,
  addApiOptions,
  apiClientFor,
  dataDirOf,
  parseIntegerFlag,
  segment,
} from '../api-options.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl } from '../format-table.js';
import { type GatewayTrust, gatewayTrust } from '../gateway-trust.js';

export interface AgentSessionFlags extends ApiOptions {
  agent: string;
  key?: string;
  ttl?: string;
}

export interface AgentSession {
  agent: AgentView;
  proxyUrl: string;
  /** The CA files of the agent's own gateway (verified against what it registered). */
  trust: GatewayTrust;
  /** The issued session key; undefined when the caller supplied a key (nothing to revoke). */
  issued: { id: string; expiresAt: string } | undefined;
  /** Revokes an issued session key; a no-op for a supplied key. */
  revoke(): Promise<void>;
}

/** SPEC 4.1: 60 s to 24 h, the control plane's own bounds. */
export const TTL_MIN = 60;
export const TTL_MAX = 86_400;

export function addAgentSessionOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--agent <name>', 'the agent to act as')
    .option(
      '--key <key>',
      'use this agent or session key (env TAMEFLARE_AGENT_KEY) instead of a new session key',
    )
    .option('--ttl <seconds>', `lifetime of the session key (${TTL_MIN} to ${TTL_MAX}, default 43200)`);
}

/**
 * Finds the agent, its gateway's address and CA, then takes the given key or issues a session key.
 * The lookups come first so that a failure there leaves no unused key behind.
 */
export async function openAgentSession(
  ctx: CliContext,
  api: ApiClient,
  flags: AgentSessionFlags,
): Promise<AgentSession> {
  const ttl = flags.ttl === undefined ? undefined : parseIntegerFlag('--ttl', flags.ttl, TTL_MIN, TTL_MAX);
  const given = flags.key ?? ctx.env.TAMEFLARE_AGENT_KEY;
  if (given !== undefined && given.trim() === '')
    throw new CliError('the agent key (--key / TAMEFLARE_AGENT_KEY) is empty', 2);
  if (given !== undefined && ttl !== undefined)
    throw new CliError('--ttl applies to a new session key, not to --key', 2);
  const { agent } = await api.request<AgentAnswer>('GET', `/v1/agents/${segment(flags.agent)}`);
  if (agent.status === 'suspended') {
    ctx.stderr.write(
      `tameflare: warning: agent ${escapeControl(agent.name)} is suspended; its requests will be refused\n`,
    );
  }
  // The agent record carries its own gateway's registered address.
  const addr = proxyAddress(agent, undefined);
  if (!addr)
    throw new CliError(
      `cannot tell where gateway ${escapeControl(agent.gateway)} listens: it has not registered with the control plane (see \`tameflare gateway list\`)`,
    );
  const trust = await gatewayTrust(ctx, api, dataDirOf(ctx, flags), agent.gateway);
  if (given !== undefined) {
    return {
      agent,
      trust,
      proxyUrl: proxyUrlFor({ ...addr, agent: agent.name, key: given.trim() }),
      issued: undefined,
      revoke: async () => {},
    };
  }
  const res = await api.request<SessionKeyAnswer>(
    'POST',
    `/v1/agents/${segment(agent.name)}/session-keys`,
    ttl === undefined ? {} : { ttl_seconds: ttl },
  );
  return {
    agent,
    trust,
    proxyUrl: proxyUrlFor({ ...addr, agent: agent.name, key: res.key }),
    issued: { id: res.id, expiresAt: res.expires_at },
    revoke: async () => {
      await api.request('DELETE', `/v1/agents/${segment(agent.name)}/session-keys/${segment(res.id)}`);
    },
  };
}

/** `in 11h 59m` / `in 5m` from now until an ISO time. */
export function timeUntil(iso: string, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.round((Date.parse(iso) - now.getTime()) / 60_000));
  const h = Math.floor(minutes / 60);
  return h > 0 ? `in ${h}h ${minutes % 60}m` : `in ${minutes}m`;
}

/**
 * The variables (and, for `run`, the helpers to close afterwards) for the agent's process: its proxy
 * URL and its own gateway's CA (`session.trust`, verified against what the gateway registered).
 */
export function agentEnvironment(
  ctx: CliContext,
  flags: { dataDir?: string | undefined },
  session: Pick<AgentSession, 'proxyUrl' | 'trust'>,
  purpose: 'run' | 'env',
): Promise<AgentEnvironment> {
  const paths = dataDirPaths(dataDirOf(ctx, flags));
  return prepareAgentEnvironment({
    proxyUrl: session.proxyUrl,
    caCertPath: session.trust.caCertPath,
    caBundlePath: session.trust.caBundlePath,
    preloadPath: ctx.preloadPath,
    stateDir: paths.dir,
    baseEnv: { ...ctx.env },
    purpose,
    warn: (message) => ctx.stderr.write(`tameflare: warning: ${message}\n`),
  });
}

export function registerEnvCommand(program: Command, ctx: CliContext): void {
  const cmd = addApiOptions(
    addAgentSessionOptions(
      program
        .command('env')
        .description("print an agent's proxy and CA environment (for eval, a dotenv file or a script)")
        .addOption(
          new Option('--format <format>', 'output format')
            .choices(['sh', 'fish', 'dotenv', 'json'])
            .default('sh'),
        ),
    ),
    { json: false },
  )
    .option('--json', 'same as --format json')
    .action(async (opts: AgentSessionFlags & { format: EnvironmentFormat; json?: boolean }) => {
      const session = await openAgentSession(ctx, apiClientFor(ctx, opts), opts);
      // The caller's own NO_PROXY and NODE_OPTIONS are merged in, so `eval` keeps them.
      const { vars } = await agentEnvironment(ctx, opts, session, 'env');
      ctx.stdout.write(formatEnvironment(vars, opts.json ? 'json' : opts.format));
      if (session.issued) {
        ctx.stderr.write(
          `tameflare: session key ${session.issued.id} for ${escapeControl(session.agent.name)} expires at ` +
            `${session.issued.expiresAt} (${timeUntil(session.issued.expiresAt)}); revoke it sooner with ` +
            `\`tameflare agent revoke-session ${escapeControl(session.agent.name)} ${session.issued.id}\`\n`,
        );
      }
    });
  addExamples(cmd, [
    'tameflare env --agent support-bot --format fish | source',
    'eval "$(tameflare env --agent support-bot)"',
    'tameflare env --agent ci --format dotenv --ttl 3600 > agent.env',
    'TAMEFLARE_AGENT_KEY=tf_agent_… tameflare env --agent ci --format json',
  ]);
}
