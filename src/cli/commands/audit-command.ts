// `tameflare audit …`: read, verify and export the hash-chained audit ledger. `verify` exits 1 when
// the chain is broken, naming the first event that was altered, deleted, inserted or reordered.
import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import type { AuditPage, AuditVerification } from '../../wire/audit.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, parseIntegerFlag, query } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';
import { parseDuration } from '../parse-duration.js';

interface FilterFlags {
  type?: string;
  actor?: string;
  agent?: string;
  since?: string;
  until?: string;
}

/** `7d` means seven days before `now`; anything else is passed on as a date or time. */
export function timeFlag(flag: string, value: string | undefined, now: Date): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d+[smhdwy]$/.test(value))
    return new Date(now.getTime() - parseDuration(flag, value) * 1000).toISOString();
  if (Number.isNaN(Date.parse(value)))
    throw new CliError(
      `invalid ${flag} ${JSON.stringify(value)}: expected a date, a time or a duration like 7d`,
      2,
    );
  return value;
}

function filterQuery(flags: FilterFlags): Record<string, string | undefined> {
  const now = new Date();
  return {
    type: flags.type,
    actor: flags.actor,
    agent: flags.agent,
    since: timeFlag('--since', flags.since, now),
    until: timeFlag('--until', flags.until, now),
  };
}

function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--type <types>', 'event types, comma-separated; action.* matches a family')
    .option('--actor <actor>', 'who acted, e.g. user:ann@example.org, token:ci')
    .option('--agent <name>', 'events by or about this agent')
    .option('--since <when>', 'from this date/time, or a duration back from now (7d, 12h)')
    .option('--until <when>', 'before this date/time, or a duration back from now');
}

function describeBreak(v: AuditVerification): string {
  const b = v.first_bad!;
  const what = b.event_type ? ` (${escapeControl(b.event_type)}, ${b.created_at})` : '';
  return `audit chain BROKEN at event #${b.id}${what}: ${b.problem}: ${escapeControl(b.reason)}`;
}

export function registerAuditCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const audit = program.command('audit').description('read, verify and export the audit ledger');

  const list = addApiOptions(
    addFilterOptions(audit.command('list').description('audit events, newest first'))
      .option('--limit <n>', 'events per page (1-1000, default 50)')
      .option('--cursor <cursor>', 'continue after a previous page (printed at its end)'),
  ).action(async (opts: ApiOptions & FilterFlags & { limit?: string; cursor?: string }) => {
    const limit = opts.limit === undefined ? 50 : parseIntegerFlag('--limit', opts.limit, 1, 1000);
    const page = await apiClientFor(ctx, opts).request<AuditPage>(
      'GET',
      `/v1/audit${query({ ...filterQuery(opts), limit, cursor: opts.cursor })}`,
    );
    if (opts.json) return printJson(ctx, page);
    if (page.events.length === 0) return print(ctx, 'no audit events match');
    ctx.stdout.write(
      formatTable(
        [
          { header: 'id', align: 'right' },
          { header: 'time' },
          { header: 'type' },
          { header: 'actor', maxWidth: 40 },
          { header: 'subject', maxWidth: 40 },
        ],
        page.events.map((e) => [e.id, e.created_at, e.event_type, e.actor, e.subject]),
      ),
    );
    if (page.next_cursor) ctx.stderr.write(`tameflare: more events: add --cursor ${page.next_cursor}\n`);
  });
  addExamples(list, [
    'tameflare audit list',
    'tameflare audit list --type action.denied,action.pending_approval --since 1d',
    'tameflare audit list --agent support-bot --json',
  ]);

  const verify = addApiOptions(
    audit.command('verify').description('walk the hash chain; exit 1 naming the first bad event'),
  ).action(async (opts: ApiOptions) => {
    const v = await apiClientFor(ctx, opts).request<AuditVerification>('GET', '/v1/audit/verify');
    if (opts.json) printJson(ctx, v);
    else if (v.ok) {
      const from = v.anchor
        ? ` (from the retention anchor after event #${v.anchor.id}; ${v.anchor.pruned_total} pruned)`
        : '';
      print(ctx, `audit chain OK: ${v.checked} events verified${from}`);
      if (v.head) print(ctx, `head: event #${v.head.id} ${v.head.hash}`);
    }
    if (!v.ok && !opts.json) ctx.stderr.write(`tameflare: ${describeBreak(v)}\n`);
    setResult(v.ok ? 0 : 1);
  });
  addExamples(verify, ['tameflare audit verify', 'tameflare audit verify --json']);

  const exp = addApiOptions(
    addFilterOptions(
      audit
        .command('export')
        .description('export events, oldest first, as JSONL or CSV (to stdout, or --output FILE)')
        .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
        .option('--output <file>', 'write to this file (created 0600) instead of stdout'),
    ),
    { json: false },
  ).action(async (opts: ApiOptions & FilterFlags & { format: string; output?: string }) => {
    const body = await apiClientFor(ctx, opts).requestStream(
      'GET',
      `/v1/audit/export${query({ ...filterQuery(opts), format: opts.format })}`,
    );
    const source = Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]);
    const sink = opts.output
      ? createWriteStream(opts.output, { mode: 0o600, flags: 'wx' })
      : new Writable({
          write: (chunk, _enc, done) => (ctx.stdout.write(chunk) ? done() : ctx.stdout.once('drain', done)),
        });
    try {
      await pipeline(source, sink);
    } catch (err) {
      throw new CliError(`export failed: ${(err as Error).message}`);
    }
  });
  addExamples(exp, [
    'tameflare audit export > audit.jsonl',
    'tameflare audit export --format csv --since 30d --output audit.csv',
  ]);
}
