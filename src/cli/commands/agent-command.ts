// `tameflare agent …`: the agents a gateway recognises. A key is printed exactly once, right after
// it is created (add, rotate-key): the control plane stores only its hash, so losing this output
// means rotating the key.
import { type Command, Option } from 'commander';
import { buildAgentEnvironment, formatEnvironment } from '../../agent-env/proxy-env.js';
import type {
  AgentAnswer,
  AgentKeyAnswer,
  AgentList,
  AgentView,
  Deleted,
  GatewayInfo,
} from '../../wire/agents.js';
import { addExamples } from '../add-examples.js';
import { agentProxyUrls, fetchGatewayInfo } from '../agent-proxy-urls.js';
import type { ApiClient } from '../api-client.js';
import {
  type ApiOptions,
  addApiOptions,
  apiClientFor,
  dataDirOf,
  parseIntegerFlag,
  segment,
} from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';
import { type GatewayTrust, gatewayTrust } from '../gateway-trust.js';
import { registerSessionKeyCommands } from './session-key-commands.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `k=v` pairs from repeated --label flags; a key given twice is a mistake, not an override. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const raw of values) {
    const eq = raw.indexOf('=');
    const key = eq < 0 ? '' : raw.slice(0, eq).trim();
    if (eq < 0 || key === '') {
      throw new CliError(`invalid --label ${JSON.stringify(raw)}: expected key=value`, 2);
    }
    if (Object.hasOwn(labels, key)) throw new CliError(`--label ${key} is given twice`, 2);
    labels[key] = raw.slice(eq + 1).trim();
  }
  return labels;
}

function describe(agent: AgentView): string {
  const parts = [`${agent.mode} mode`, agent.status, `gateway ${agent.gateway}`];
  if (agent.port !== null) parts.push(`dedicated port ${agent.port}`);
  else parts.push('dedicated port pending');
  if (!agent.proxy_auth) parts.push('no proxy auth on its port');
  return parts.join(', ');
}

/** `9444 (open)`, `9444 (failed)`, `pending`: the port as its gateway last reported it. */
function portText(agent: AgentView): string {
  if (agent.port === null) return 'pending';
  return agent.port_state === 'unknown' ? String(agent.port) : `${agent.port} (${agent.port_state})`;
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Prints a freshly issued key with everything needed to use it, keeping the key first. */
async function printNewKey(
  ctx: CliContext,
  api: ApiClient,
  opts: ApiOptions & { gateway?: string },
  agent: AgentView,
  key: string,
  heading: string,
): Promise<void> {
  // The key must reach the operator even if the follow-up lookups fail: it cannot be shown again.
  let info: GatewayInfo | undefined;
  let infoError: string | undefined;
  if (!agent.proxy_url) {
    try {
      info = await fetchGatewayInfo(api, opts.gateway ?? agent.gateway);
    } catch (err) {
      infoError = (err as Error).message;
    }
  }
  const urls = agentProxyUrls(agent, key, info);
  if (opts.json) {
    ctx.stderr.write('tameflare: the key is shown once and cannot be shown again; store it now\n');
    printJson(ctx, { agent, key, proxy_url: urls?.proxyUrl ?? null, port_url: urls?.portUrl ?? null });
    if (infoError) ctx.stderr.write(`tameflare: warning: gateway-info unavailable (${infoError})\n`);
    return;
  }
  const lines = [
    `${heading}: ${escapeControl(agent.name)} (${describe(agent)})`,
    '',
    'Key (shown once; it cannot be shown again, store it now):',
    `  ${key}`,
    '',
  ];
  if (agent.port_error) lines.push(`Dedicated port: ${escapeControl(agent.port_error)}`, '');
  if (!urls) {
    lines.push(
      `Gateway ${escapeControl(agent.gateway)} has not registered its address yet${infoError ? ` (${infoError})` : ''};`,
      `the proxy URL is http://${agent.name}:KEY@GATEWAY_HOST:PORT once it has (tameflare gateway list).`,
    );
    print(ctx, lines.join('\n'));
    return;
  }
  lines.push(`Proxy URL:          ${urls.proxyUrl}`);
  if (urls.portUrl) lines.push(`Dedicated port URL: ${urls.portUrl}`);
  let trust: GatewayTrust | undefined;
  let trustError: string | undefined;
  try {
    trust = await gatewayTrust(ctx, api, dataDirOf(ctx, opts), agent.gateway);
  } catch (err) {
    trustError = (err as Error).message;
  }
  if (!trust) {
    lines.push('', `(No environment to show: ${trustError}.)`);
    print(ctx, lines.join('\n'));
    return;
  }
  const env = buildAgentEnvironment({
    proxyUrl: urls.proxyUrl,
    caCertPath: trust.caCertPath,
    caBundlePath: trust.caBundlePath,
    preloadPath: ctx.preloadPath,
    baseEnv: {},
  });
  lines.push(
    '',
    `Environment for the agent (or run it with: tameflare run --agent ${agent.name} -- COMMAND):`,
    formatEnvironment(env, 'sh').trimEnd(),
  );
  print(ctx, lines.join('\n'));
}

export function registerAgentCommand(program: Command, ctx: CliContext): void {
  const agent = program.command('agent').description('manage agents: identities, keys and dedicated ports');

  const add = addApiOptions(
    agent
      .command('add')
      .description('create an agent and print its key (once), proxy URL and environment')
      .argument('<name>', 'agent name (its proxy username)')
      .option('--port <n>', "dedicated port (default: the next free one of the gateway's range)")
      .addOption(
        new Option('--mode <mode>', 'enforce, or monitor (forward and record "would deny")').choices([
          'enforce',
          'monitor',
        ]),
      )
      .option('--label <k=v>', 'label (repeatable)', collect)
      .option('--no-proxy-auth', 'on its dedicated port, the port alone identifies the agent (no key)')
      .option('--gateway <name>', 'gateway the agent belongs to (default: the only one registered)'),
  ).action(
    async (
      name: string,
      opts: ApiOptions & {
        port?: string;
        mode?: string;
        label?: string[];
        proxyAuth: boolean;
        gateway?: string;
      },
    ) => {
      const body: Record<string, unknown> = { name };
      if (opts.port !== undefined) body.port = parseIntegerFlag('--port', opts.port, 1, 65_535);
      if (opts.mode !== undefined) body.mode = opts.mode;
      if (opts.label) body.labels = parseLabels(opts.label);
      if (!opts.proxyAuth) body.proxy_auth = false;
      if (opts.gateway !== undefined) body.gateway = opts.gateway;
      const api = apiClientFor(ctx, opts);
      const res = await api.request<AgentKeyAnswer>('POST', '/v1/agents', body);
      await printNewKey(ctx, api, opts, res.agent, res.key, 'Agent created');
    },
  );
  addExamples(add, [
    'tameflare agent add support-bot',
    'tameflare agent add ci --mode monitor --label team=infra --label env=prod',
    'tameflare agent add local-tool --port 9450 --no-proxy-auth',
    'tameflare agent add eu-bot --gateway eu-1',
  ]);

  const list = addApiOptions(agent.command('list').description('list agents (keys are never shown)')).action(
    async (opts: ApiOptions) => {
      const { agents } = await apiClientFor(ctx, opts).request<AgentList>('GET', '/v1/agents');
      if (opts.json) return printJson(ctx, { agents });
      if (agents.length === 0) return print(ctx, 'no agents (add one with: tameflare agent add NAME)');
      ctx.stdout.write(
        formatTable(
          [
            { header: 'name' },
            { header: 'status' },
            { header: 'mode' },
            { header: 'port', align: 'right' },
            { header: 'proxy auth' },
            { header: 'gateway' },
            { header: 'labels' },
          ],
          agents.map((a) => [
            a.name,
            a.status,
            a.mode,
            a.port ?? 'pending',
            a.proxy_auth,
            a.gateway,
            labelsText(a.labels),
          ]),
        ),
      );
    },
  );
  addExamples(list, ['tameflare agent list', 'tameflare agent list --json']);

  const show = addApiOptions(
    agent.command('show').description("show one agent's settings").argument('<name>', 'agent name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<AgentAnswer>('GET', `/v1/agents/${segment(name)}`);
    if (opts.json) return printJson(ctx, res);
    const a = res.agent;
    const rows: [string, string | number | boolean | null][] = [
      ['name', a.name],
      ['status', a.status],
      ['mode', a.mode],
      ['gateway', a.gateway],
      ['proxy url', a.proxy_url],
      ['dedicated port', portText(a)],
      ['port problem', a.port_error],
      ['port url', a.port_url],
      ['proxy auth', a.proxy_auth],
      ['labels', labelsText(a.labels)],
      ['created', a.created_at],
      ['updated', a.updated_at],
    ];
    ctx.stdout.write(formatTable([{ header: 'field' }, { header: 'value' }], rows, { header: false }));
  });
  addExamples(show, ['tameflare agent show support-bot']);

  for (const [verb, done, help] of [
    ['suspend', 'suspended', "refuse all of an agent's requests (403 agent_suspended) until resumed"],
    ['resume', 'resumed', 'let a suspended agent through again'],
  ] as const) {
    const cmd = addApiOptions(agent.command(verb).description(help).argument('<name>', 'agent name')).action(
      async (name: string, opts: ApiOptions) => {
        const res = await apiClientFor(ctx, opts).request<AgentAnswer>(
          'POST',
          `/v1/agents/${segment(name)}/${verb}`,
        );
        if (opts.json) return printJson(ctx, res);
        print(ctx, `agent ${escapeControl(res.agent.name)} ${done}`);
      },
    );
    addExamples(cmd, [`tameflare agent ${verb} support-bot`]);
  }

  const remove = addApiOptions(
    agent
      .command('remove')
      .description('delete an agent: its keys stop working and its dedicated port is freed')
      .argument('<name>', 'agent name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<Deleted>('DELETE', `/v1/agents/${segment(name)}`);
    if (opts.json) return printJson(ctx, res);
    print(ctx, `agent ${escapeControl(name)} removed`);
  });
  addExamples(remove, ['tameflare agent remove support-bot']);

  const rotate = addApiOptions(
    agent
      .command('rotate-key')
      .description("replace an agent's key (the old one stops working) and print the new one once")
      .argument('<name>', 'agent name')
      .option('--gateway <name>', 'gateway whose proxy address to print'),
  ).action(async (name: string, opts: ApiOptions & { gateway?: string }) => {
    const api = apiClientFor(ctx, opts);
    const res = await api.request<AgentKeyAnswer>('POST', `/v1/agents/${segment(name)}/rotate-key`);
    await printNewKey(ctx, api, opts, res.agent, res.key, 'Key rotated');
  });
  addExamples(rotate, ['tameflare agent rotate-key support-bot']);
  registerSessionKeyCommands(agent, ctx);
}
