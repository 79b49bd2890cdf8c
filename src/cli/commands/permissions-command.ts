// `tameflare permissions …`: (agent, connector, action pattern) → allow | deny | require_approval.
// Anything not granted is denied, so listing shows the whole of what an agent may do.
import { Argument, type Command, Option } from 'commander';
import type { Deleted } from '../../wire/agents.js';
import type { PermissionAnswer, PermissionList, PermissionView } from '../../wire/permissions.js';
import { addExamples } from '../add-examples.js';
import {
  type ApiOptions,
  addApiOptions,
  apiClientFor,
  parseIntegerFlag,
  query,
  segment,
} from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { escapeControl, formatTable } from '../format-table.js';

export const DECISIONS = ['allow', 'deny', 'require_approval'] as const;
export const PRESETS = ['allow-all', 'read-only', 'require-approval'] as const;

export function permissionsTable(permissions: readonly PermissionView[]): string {
  return formatTable(
    [
      { header: 'id', align: 'right' },
      { header: 'agent' },
      { header: 'connector' },
      { header: 'action' },
      { header: 'decision' },
      { header: 'created' },
    ],
    permissions.map((p) => [p.id, p.agent, p.connector, p.action, p.decision, p.created_at]),
  );
}

export function registerPermissionsCommand(program: Command, ctx: CliContext): void {
  const permissions = program
    .command('permissions')
    .description('manage what each agent may do through each connector (default: deny)');

  const set = addApiOptions(
    permissions
      .command('set')
      .description('grant or refuse an action pattern (replaces the same agent+connector+pattern)')
      .requiredOption('--agent <name>', 'agent name')
      .requiredOption('--connector <name>', 'connector name')
      .requiredOption('--action <pattern>', 'action or pattern, e.g. github.pr.merge, github.pr.*, *')
      .addOption(
        new Option('--decision <decision>', 'what to do with matching requests')
          .choices([...DECISIONS])
          .makeOptionMandatory(),
      ),
  ).action(
    async (opts: ApiOptions & { agent: string; connector: string; action: string; decision: string }) => {
      const res = await apiClientFor(ctx, opts).request<PermissionAnswer>('POST', '/v1/permissions', {
        agent: opts.agent,
        connector: opts.connector,
        action: opts.action,
        decision: opts.decision,
      });
      if (opts.json) return printJson(ctx, res);
      const p = res.permission;
      print(
        ctx,
        `permission ${p.id}: ${escapeControl(p.agent)} → ${escapeControl(p.connector)} ` +
          `${escapeControl(p.action)}: ${p.decision}`,
      );
    },
  );
  addExamples(set, [
    'tameflare permissions set --agent support-bot --connector github --action github.issue.* --decision allow',
    'tameflare permissions set --agent support-bot --connector github --action github.pr.merge --decision require_approval',
  ]);

  const list = addApiOptions(
    permissions.command('list').description('list permissions').option('--agent <name>', "only this agent's"),
  ).action(async (opts: ApiOptions & { agent?: string }) => {
    const res = await apiClientFor(ctx, opts).request<PermissionList>(
      'GET',
      `/v1/permissions${query({ agent: opts.agent })}`,
    );
    if (opts.json) return printJson(ctx, res);
    if (res.permissions.length === 0) {
      return print(
        ctx,
        `no permissions${opts.agent ? ` for ${escapeControl(opts.agent)}` : ''}: everything is denied`,
      );
    }
    ctx.stdout.write(permissionsTable(res.permissions));
  });
  addExamples(list, ['tameflare permissions list', 'tameflare permissions list --agent support-bot --json']);

  const remove = addApiOptions(
    permissions
      .command('remove')
      .description('delete a permission by id (see: tameflare permissions list)')
      .argument('<id>', 'permission id'),
  ).action(async (id: string, opts: ApiOptions) => {
    const n = parseIntegerFlag('permission id', id, 1, Number.MAX_SAFE_INTEGER);
    const res = await apiClientFor(ctx, opts).request<Deleted>(
      'DELETE',
      `/v1/permissions/${segment(String(n))}`,
    );
    if (opts.json) return printJson(ctx, res);
    print(ctx, `permission ${n} removed`);
  });
  addExamples(remove, ['tameflare permissions remove 12']);

  const preset = addApiOptions(
    permissions
      .command('preset')
      .description("set an agent's permissions on a connector from a preset")
      .requiredOption('--agent <name>', 'agent name')
      .requiredOption('--connector <name>', 'connector name')
      .addArgument(
        new Argument(
          '<preset>',
          'allow-all (every action), read-only (low-risk reads), require-approval (everything held)',
        ).choices([...PRESETS]),
      ),
  ).action(async (name: string, opts: ApiOptions & { agent: string; connector: string }) => {
    const res = await apiClientFor(ctx, opts).request<PermissionList>('POST', '/v1/permissions/preset', {
      agent: opts.agent,
      connector: opts.connector,
      preset: name,
    });
    if (opts.json) return printJson(ctx, res);
    print(ctx, `preset ${name} applied to ${escapeControl(opts.agent)} on ${escapeControl(opts.connector)}:`);
    ctx.stdout.write(permissionsTable(res.permissions));
  });
  addExamples(preset, [
    'tameflare permissions preset --agent support-bot --connector github read-only',
    'tameflare permissions preset --agent ci --connector stripe require-approval',
  ]);
}
