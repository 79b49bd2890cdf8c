// `tameflare gateway list | show NAME | remove NAME`: the gateways registered with the control
// plane, as they last reported (status, version, address, last seen, configuration versions, outbox
// backlog, ports). Gateways register themselves when they connect; `remove` forgets one.
import type { Command } from 'commander';
import type { GatewayAnswer, GatewayList, GatewayRemoved, GatewayView } from '../../wire/gateways.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, query, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { escapeControl, formatTable } from '../format-table.js';

/** `12 / 12`, or `11 / 12 (behind)`: the version it runs against the one the control plane holds. */
export function configText(g: Pick<GatewayView, 'applied_config_version' | 'config_version'>): string {
  if (g.applied_config_version === null) return `- / ${g.config_version}`;
  const behind = g.applied_config_version < g.config_version ? ' (behind)' : '';
  return `${g.applied_config_version} / ${g.config_version}${behind}`;
}

function portsText(g: GatewayView): string {
  if (!g.agent_ports) return 'not registered';
  const errors = Object.keys(g.agent_ports.errors).length;
  return `${g.agent_ports.start}-${g.agent_ports.end}, ${g.agent_ports.open.length} open${errors ? `, ${errors} failed` : ''}`;
}

export function registerGatewayCommand(program: Command, ctx: CliContext): void {
  const gateway = program
    .command('gateway')
    .description('gateways registered with the control plane: status, address, versions, backlog');

  const list = addApiOptions(gateway.command('list').description('list gateways')).action(
    async (opts: ApiOptions) => {
      const { gateways } = await apiClientFor(ctx, opts).request<GatewayList>('GET', '/v1/gateways');
      if (opts.json) return printJson(ctx, { gateways });
      if (gateways.length === 0) {
        return print(ctx, 'no gateways (a gateway registers when it connects with CONTROL_PLANE_URL)');
      }
      ctx.stdout.write(
        formatTable(
          [
            { header: 'name' },
            { header: 'status' },
            { header: 'version' },
            { header: 'address' },
            { header: 'last seen' },
            { header: 'config' },
            { header: 'backlog', align: 'right' },
            { header: 'agents', align: 'right' },
            { header: 'connectors', align: 'right' },
          ],
          gateways.map((g) => [
            g.name,
            g.status,
            g.version,
            g.public_url,
            g.last_seen_at,
            configText(g),
            g.outbox_backlog,
            g.agents,
            g.connectors,
          ]),
        ),
      );
    },
  );
  addExamples(list, ['tameflare gateway list', 'tameflare gateway list --json']);

  const show = addApiOptions(
    gateway.command('show').description("one gateway's registration and last report").argument('<name>'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<GatewayAnswer>('GET', `/v1/gateways/${segment(name)}`);
    if (opts.json) return printJson(ctx, res);
    const g = res.gateway;
    const rows: [string, string | number | null][] = [
      ['name', g.name],
      ['status', g.status],
      ['version', g.version],
      ['address', g.public_url],
      ['registered', g.registered_at],
      ['last seen', g.last_seen_at],
      ['config (runs / holds)', configText(g)],
      ['outbox backlog', g.outbox_backlog],
      ['agent ports', portsText(g)],
      ['agents', g.agents],
      ['connectors', g.connectors],
      ['CA fingerprint', g.ca_fingerprint],
    ];
    for (const [port, error] of Object.entries(g.agent_ports?.errors ?? {})) {
      rows.push([`port ${port}`, error]);
    }
    ctx.stdout.write(formatTable([{ header: 'field' }, { header: 'value' }], rows, { header: false }));
  });
  addExamples(show, ['tameflare gateway show default', 'tameflare gateway show eu-1 --json']);

  const remove = addApiOptions(
    gateway
      .command('remove')
      .description('forget a gateway that is not connected (with --force: and its agents and connectors)')
      .argument('<name>')
      .option('--force', 'also remove its agents, connectors and their permissions'),
  ).action(async (name: string, opts: ApiOptions & { force?: boolean }) => {
    const res = await apiClientFor(ctx, opts).request<GatewayRemoved>(
      'DELETE',
      `/v1/gateways/${segment(name)}${query({ force: opts.force ? 'true' : undefined })}`,
    );
    if (opts.json) return printJson(ctx, res);
    const extra =
      res.agents || res.connectors ? ` with ${res.agents} agent(s) and ${res.connectors} connector(s)` : '';
    print(ctx, `gateway ${escapeControl(name)} removed${extra}`);
  });
  addExamples(remove, ['tameflare gateway remove old-edge', 'tameflare gateway remove old-edge --force']);
}
