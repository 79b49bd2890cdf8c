// `tameflare approvals …`: the requests held for a person's decision. list and show read; approve
// (optionally widened into a grant with --for) and deny decide; watch follows the live stream;
// grants and webhooks manage what approvals were widened into and who is told about them.
import { type Command, Option } from 'commander';
import type { ApprovalWire, DecideApprovalAnswer, GrantWire } from '../../wire/approvals.js';
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
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';
import { parseGrantDuration } from '../grant-duration.js';
import { watchApprovals } from './approvals-watch.js';
import { registerApprovalWebhookCommands } from './approvals-webhook-command.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;

export function requestText(a: ApprovalWire): string {
  if (!a.method) return '-';
  return `${a.method} ${a.host ?? ''}${a.path ?? ''}`;
}

export function approvalsTable(approvals: readonly ApprovalWire[]): string {
  return formatTable(
    [
      { header: 'id' },
      { header: 'status' },
      { header: 'agent' },
      { header: 'action' },
      { header: 'request', maxWidth: 60 },
      { header: 'needs' },
      { header: 'created' },
      { header: 'decided by' },
    ],
    approvals.map((a) => [
      a.id,
      a.status,
      a.agent,
      a.action,
      requestText(a),
      a.required_role,
      a.created_at,
      a.decided_by,
    ]),
  );
}

export function approvalDetail(a: ApprovalWire): string {
  const lines: [string, string | number | null][] = [
    ['id', a.id],
    ['status', a.status],
    ['agent', a.agent],
    ['action', a.action],
    ['request', requestText(a)],
    ['gateway', a.gateway],
    ['connector', a.connector],
    ['parameters', JSON.stringify(a.params)],
    ['why', a.reasons.join('; ')],
    ['may decide', `${a.required_role} or above`],
    ['requests', a.requests],
    ['created', a.created_at],
    ['expires', a.expires_at],
    ['decided', a.decided_at ? `${a.decided_at} by ${a.decided_by ?? '?'}` : null],
    ['note', a.note],
    ['used', a.used_at],
    ['grant', a.grant ? `${a.grant.id} until ${a.grant.expires_at}` : null],
  ];
  return `${lines
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(12)}${escapeControl(String(v))}`)
    .join('\n')}\n`;
}

export function registerApprovalsCommand(program: Command, ctx: CliContext): void {
  const approvals = program
    .command('approvals')
    .description('requests held until a person approves or denies them');

  const list = addApiOptions(
    approvals
      .command('list')
      .description('list approvals, newest first (pending ones unless --status or --all)')
      .addOption(new Option('--status <status>', 'only this status').choices([...STATUSES]))
      .option('--all', 'every status')
      .option('--agent <name>', "only this agent's")
      .option('--action <action>', 'only this action')
      .option('--limit <n>', 'at most this many (1 to 500, default 100)'),
  ).action(
    async (
      opts: ApiOptions & { status?: string; all?: boolean; agent?: string; action?: string; limit?: string },
    ) => {
      if (opts.all && opts.status) throw new CliError('--all and --status cannot be combined: choose one', 2);
      const limit = opts.limit === undefined ? undefined : parseIntegerFlag('--limit', opts.limit, 1, 500);
      const status = opts.all ? undefined : (opts.status ?? 'pending');
      const res = await apiClientFor(ctx, opts).request<{ approvals: ApprovalWire[] }>(
        'GET',
        `/v1/approvals${query({ status, agent: opts.agent, action: opts.action, limit })}`,
      );
      if (opts.json) return printJson(ctx, res);
      if (res.approvals.length === 0) {
        print(ctx, status === 'pending' ? 'no approvals pending' : 'no approvals');
        return;
      }
      ctx.stdout.write(approvalsTable(res.approvals));
    },
  );
  addExamples(list, [
    'tameflare approvals list',
    'tameflare approvals list --all --agent support-bot --json',
  ]);

  const show = addApiOptions(
    approvals.command('show').description('show one approval').argument('<id>', 'approval id (apv_…)'),
  ).action(async (id: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<{ approval: ApprovalWire }>(
      'GET',
      `/v1/approvals/${segment(id)}`,
    );
    if (opts.json) return printJson(ctx, res);
    ctx.stdout.write(approvalDetail(res.approval));
  });

  addExamples(show, ['tameflare approvals show apv_0123456789abcdef0123 --json']);

  const approve = addApiOptions(
    approvals
      .command('approve')
      .description('approve: the held request goes out (or its identical retry passes once)')
      .argument('<id>', 'approval id (apv_…)')
      .option(
        '--for <duration>',
        'also let this agent run this action for a while: 30m, 2h, 1h30m, 1d (a grant)',
      )
      .option('--note <text>', 'why (recorded in the audit log)'),
  ).action(async (id: string, opts: ApiOptions & { for?: string; note?: string }) => {
    let grantMinutes: number | undefined;
    if (opts.for !== undefined) {
      const parsed = parseGrantDuration(opts.for);
      if (typeof parsed === 'string') throw new CliError(`--for: ${parsed}`, 2);
      grantMinutes = parsed;
    }
    const res = await apiClientFor(ctx, opts).request<DecideApprovalAnswer>(
      'POST',
      `/v1/approvals/${segment(id)}/approve`,
      {
        ...(opts.note !== undefined ? { note: opts.note } : {}),
        ...(grantMinutes !== undefined ? { grant_minutes: grantMinutes } : {}),
      },
    );
    if (opts.json) return printJson(ctx, res);
    const a = res.approval;
    print(
      ctx,
      `approved ${a.id}: ${escapeControl(a.agent)} ${escapeControl(a.action)} ${escapeControl(requestText(a))}`,
    );
    if (res.grant) {
      print(
        ctx,
        `grant ${res.grant.id}: ${escapeControl(a.agent)} may run ${escapeControl(a.action)} until ${res.grant.expires_at}`,
      );
    }
    if (res.also_approved.length > 0)
      print(ctx, `also approved by the grant: ${res.also_approved.join(', ')}`);
  });
  addExamples(approve, [
    'tameflare approvals approve apv_0123456789abcdef0123',
    'tameflare approvals approve apv_0123456789abcdef0123 --for 30m --note "release day"',
  ]);

  const deny = addApiOptions(
    approvals
      .command('deny')
      .description('deny: the held request is answered 403 approval_denied')
      .argument('<id>', 'approval id (apv_…)')
      .option('--note <text>', 'why (shown to the agent and recorded in the audit log)'),
  ).action(async (id: string, opts: ApiOptions & { note?: string }) => {
    const res = await apiClientFor(ctx, opts).request<DecideApprovalAnswer>(
      'POST',
      `/v1/approvals/${segment(id)}/deny`,
      opts.note !== undefined ? { note: opts.note } : {},
    );
    if (opts.json) return printJson(ctx, res);
    print(
      ctx,
      `denied ${res.approval.id}: ${escapeControl(res.approval.agent)} ${escapeControl(res.approval.action)}`,
    );
  });
  addExamples(deny, ['tameflare approvals deny apv_0123456789abcdef0123 --note "not on a Friday"']);

  const watch = addApiOptions(
    approvals.command('watch').description('follow approvals live (pending ones first) until Ctrl-C'),
    { json: false },
  )
    .option('--json', 'one JSON event per line (JSONL)')
    .action((opts: ApiOptions) => watchApprovals(ctx, opts));
  addExamples(watch, ['tameflare approvals watch', 'tameflare approvals watch --json | jq .approval.id']);

  const grants = addApiOptions(
    approvals
      .command('grants')
      .description('list grants (approvals widened with --for); active ones unless --all')
      .option('--all', 'expired and revoked ones too'),
  ).action(async (opts: ApiOptions & { all?: boolean }) => {
    const res = await apiClientFor(ctx, opts).request<{ grants: GrantWire[] }>(
      'GET',
      `/v1/approvals/grants${query({ all: opts.all ? 'true' : undefined })}`,
    );
    if (opts.json) return printJson(ctx, res);
    if (res.grants.length === 0) return print(ctx, 'no grants');
    ctx.stdout.write(
      formatTable(
        [
          { header: 'id' },
          { header: 'agent' },
          { header: 'action' },
          { header: 'until' },
          { header: 'by' },
          { header: 'revoked' },
        ],
        res.grants.map((g) => [g.id, g.agent, g.action, g.expires_at, g.created_by, g.revoked_at]),
      ),
    );
  });

  addExamples(grants, ['tameflare approvals grants', 'tameflare approvals grants --all --json']);

  const revoke = addApiOptions(
    approvals
      .command('revoke-grant')
      .description('end a grant before it runs out')
      .argument('<id>', 'grant id (grt_…)'),
  ).action(async (id: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<{ grant: GrantWire }>(
      'DELETE',
      `/v1/approvals/grants/${segment(id)}`,
    );
    if (opts.json) return printJson(ctx, res);
    print(ctx, `revoked ${res.grant.id}`);
  });

  addExamples(revoke, ['tameflare approvals revoke-grant grt_0123456789abcdef0123']);

  registerApprovalWebhookCommands(approvals, ctx);
}
