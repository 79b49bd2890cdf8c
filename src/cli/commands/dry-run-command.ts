// `tameflare dry-run`: what the gateway would decide for a request (or an action by name), with
// every matched permission and rule, without sending anything.
import type { Command } from 'commander';
import type { DryRunAnswer } from '../../wire/dry-run.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, apiClientFor } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';
import { readTextFile } from '../read-text-file.js';

export interface DryRunFlags {
  agent: string;
  method?: string | undefined;
  url?: string | undefined;
  body?: string | undefined;
  header?: string[] | undefined;
  action?: string | undefined;
  params?: string | undefined;
  connector?: string | undefined;
  risk?: string | undefined;
  at?: string | undefined;
}

/** The request body from the flags; usage errors (exit 2) for flags that do not go together. */
export function dryRunBody(
  flags: DryRunFlags,
  readFile: (path: string) => string = (p) => readTextFile(p, 'body file'),
) {
  const usage = (message: string) => new CliError(message, 2);
  if ((flags.url === undefined) === (flags.action === undefined))
    throw usage('give either a request (--url, with --method, --header, --body) or an action (--action)');
  const body: Record<string, unknown> = { agent: flags.agent };
  if (flags.at !== undefined) body.at = flags.at;
  if (flags.url !== undefined) {
    for (const f of ['params', 'connector', 'risk'] as const)
      if (flags[f] !== undefined) throw usage(`--${f} goes with --action, not --url`);
    body.url = flags.url;
    body.method = (flags.method ?? 'GET').toUpperCase();
    if (flags.header?.length) body.headers = parseHeaders(flags.header);
    if (flags.body !== undefined) body.body = readFile(flags.body);
    return body;
  }
  for (const f of ['method', 'body', 'header'] as const)
    if (flags[f] !== undefined) throw usage(`--${f} goes with --url, not --action`);
  body.action = flags.action;
  if (flags.connector !== undefined) body.connector = flags.connector;
  if (flags.risk !== undefined) body.risk = flags.risk;
  if (flags.params !== undefined) {
    let params: unknown;
    try {
      params = JSON.parse(flags.params);
    } catch (err) {
      throw usage(`--params is not JSON: ${(err as Error).message}`);
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params))
      throw usage('--params must be a JSON object, e.g. \'{"amount": 6000}\'');
    body.params = params;
  }
  return body;
}

export function parseHeaders(lines: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
      throw new CliError(`--header must look like 'Name: value', got ${JSON.stringify(line)}`, 2);
    headers[name] = [...(headers[name] ?? []), line.slice(colon + 1).trim()];
  }
  return headers;
}

export function dryRunText(d: DryRunAnswer): string {
  const e = escapeControl;
  const lines: string[] = [];
  lines.push(
    `verdict     ${d.verdict} (${d.code})${d.would_have ? `, would have: ${d.would_have} (monitor mode)` : ''}`,
  );
  if (d.action) lines.push(`action      ${e(d.action)} (risk ${d.risk})`);
  if (d.connector) lines.push(`connector   ${e(d.connector.name)} (${e(d.connector.type)})`);
  const r = d.request;
  if (r.method || r.host || r.path)
    lines.push(`request     ${[r.method, e(r.host), e(r.path)].filter(Boolean).join(' ')}`);
  if (d.params) lines.push(`params      ${e(JSON.stringify(d.params))}`);
  const p = d.permission;
  lines.push(
    `permission  ${p ? `#${e(p.id)} ${e(p.agent)} / ${e(p.connector)} / ${e(p.action)} → ${p.decision}` : 'none matched'}`,
  );
  if (d.approval) {
    const roles = d.approval.approver_roles.length ? d.approval.approver_roles.join(', ') : 'any member';
    lines.push(`approval    ${d.approval.timeout_seconds ?? 'default'} s, approvers: ${e(roles)}`);
  }
  for (const l of d.rate_limits)
    lines.push(
      `rate limit  ${l.rate}/s, burst ${l.burst}${l.connector ? ` on ${e(l.connector)}` : ''}${l.action ? ` for ${e(l.action)}` : ''}`,
    );
  if (d.matched_rules.length > 0) {
    lines.push('', 'matched rules:');
    const table = formatTable(
      [
        { header: 'policy' },
        { header: 'rule' },
        { header: 'decision' },
        { header: 'monitor' },
        { header: 'reason' },
      ],
      d.matched_rules.map((m) => [m.policy, m.rule, m.decision, m.monitor, m.reason]),
    );
    lines.push(
      ...table
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  lines.push(
    '',
    'reasons:',
    ...d.reasons.map((x, i) => `  ${i + 1}. ${e(x)}`),
    '',
    'nothing was sent (dry run)',
  );
  return `${lines.join('\n')}\n`;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerDryRunCommand(program: Command, ctx: CliContext): void {
  // `--url` is the request's URL here (SPEC 9), so the control plane's address is `--control-url`.
  const cmd = program
    .command('dry-run')
    .description('show what the gateway would decide for a request or an action, without sending it')
    .requiredOption('--agent <name>', 'agent whose permissions, labels and mode apply')
    .option('--method <method>', 'HTTP method of the request (default GET)')
    .option('--url <url>', 'URL of the request, e.g. https://api.stripe.com/v1/refunds')
    .option('--header <header>', "request header 'Name: value' (repeatable)", collect)
    .option('--body <file>', 'file holding the request body')
    .option('--action <type>', 'an action by name instead of a request, e.g. stripe.refund.create')
    .option('--params <json>', 'parameters of the action, as a JSON object')
    .option('--connector <name>', 'connector carrying the action (default: the one named like its prefix)')
    .option('--risk <risk>', 'risk of the action: low, medium or high (default: from the catalogue)')
    .option('--at <time>', 'decide as of this ISO-8601 time (for time windows)')
    .option('--data-dir <dir>', 'data directory, for cli.token (env TAMEFLARE_DATA_DIR)')
    .option('--control-url <url>', 'control plane URL (env TAMEFLARE_URL, default http://127.0.0.1:3000)')
    .option('--token <token>', 'API token (env TAMEFLARE_TOKEN, default cli.token)')
    .option('--json', 'machine-readable output')
    .action(async (opts: Omit<ApiOptions, 'url'> & DryRunFlags & { controlUrl?: string }) => {
      const api = { dataDir: opts.dataDir, token: opts.token, url: opts.controlUrl };
      const res = await apiClientFor(ctx, api).request<DryRunAnswer>('POST', '/v1/dry-run', dryRunBody(opts));
      if (opts.json) return printJson(ctx, res);
      print(ctx, dryRunText(res));
    });
  addExamples(cmd, [
    "tameflare dry-run --agent pay-bot --method POST --url https://api.stripe.com/v1/refunds --header 'Content-Type: application/x-www-form-urlencoded' --body refund.txt",
    'tameflare dry-run --agent pay-bot --action stripe.refund.create --params \'{"amount": 6000}\'',
    'tameflare dry-run --agent ci-bot --method DELETE --url https://api.github.com/repos/acme/site --json',
  ]);
}
