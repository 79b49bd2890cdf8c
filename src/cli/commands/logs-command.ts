// `tameflare logs`: the gateway's traffic log as the control plane holds it. The readable form is a
// table; --json is one object per line so that `--follow --json | jq` works as a stream.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import type { TrafficEntry, TrafficPage } from '../../wire/traffic.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, parseIntegerFlag, query } from '../api-options.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { type Cell, columnWidths, formatTable, type TableColumn } from '../format-table.js';

const POLL_MS = 1000;
/** The most the API returns at once; a full page while following means more is waiting. */
const PAGE_MAX = 1000;

export const LOG_COLUMNS: readonly TableColumn[] = [
  { header: 'time (utc)', minWidth: 19 },
  { header: 'agent', minWidth: 10 },
  { header: 'decision', minWidth: 8 },
  { header: 'status', align: 'right' },
  { header: 'action', minWidth: 16 },
  { header: 'request', minWidth: 30, maxWidth: 80 },
  { header: 'latency', align: 'right', minWidth: 7 },
  { header: 'reason', maxWidth: 60 },
  { header: 'params', maxWidth: 60 },
];

/** `2025-01-02T03:04:05.678Z` → `2025-01-02 03:04:05`; anything else unchanged. */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export function logRow(e: TrafficEntry): Cell[] {
  const decision = e.decision === null ? null : e.mode === 'monitor' ? `${e.decision} (monitor)` : e.decision;
  const status = e.status ?? (e.error ? 'error' : null);
  return [
    shortTime(e.created_at),
    e.agent,
    decision,
    status,
    e.action,
    requestText(e),
    e.latency_ms === null ? null : latencyText(e.latency_ms),
    e.reason ?? e.error,
    paramsText(e.params),
  ];
}

/** `amount=5000 currency=usd`; nested values as JSON. */
export function paramsText(params: Record<string, unknown> | null | undefined): string | null {
  if (!params) return null;
  const parts = Object.entries(params).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return parts.length > 0 ? parts.join(' ') : null;
}

/** `GET host/path`; a CONNECT's path is already `host:port`. */
function requestText(e: TrafficEntry): string {
  const path = e.path ?? '';
  const target = path.startsWith('/') || path === '' ? `${e.host ?? ''}${path}` : path;
  return [e.method, target].filter((s) => s).join(' ');
}

function latencyText(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

export function registerLogsCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const cmd = addApiOptions(
    program
      .command('logs')
      .description('show the gateway traffic log (newest last)')
      .option('-f, --follow', 'keep printing new entries until Ctrl-C')
      .option('--last <n>', 'how many recent entries to show first (1 to 1000, default 50)')
      .option('--agent <name>', "only this agent's requests")
      .option('--action <action>', 'only this action, or a family of them (stripe.refund.*)')
      .option(
        '--param <name=value>',
        'only requests whose parameter has this value (repeatable; dotted names reach nested ones)',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      )
      .addOption(
        new Option('--decision <decision>', 'only requests with this decision').choices([
          'allow',
          'deny',
          'require_approval',
        ]),
      ),
    { json: false },
  )
    .option('--json', 'one JSON object per line (JSONL)')
    .action(
      async (
        opts: ApiOptions & {
          follow?: boolean;
          last?: string;
          agent?: string;
          decision?: string;
          action?: string;
          param?: string[];
        },
      ) => {
        const last = opts.last === undefined ? undefined : parseIntegerFlag('--last', opts.last, 1, PAGE_MAX);
        const api = apiClientFor(ctx, opts);
        for (const p of opts.param ?? []) {
          if (!/^[A-Za-z0-9_.]+=/.test(p))
            throw new CliError(
              `invalid --param ${JSON.stringify(p)}: expected NAME=VALUE (e.g. amount=5000)`,
              2,
            );
        }
        const filters = {
          agent: opts.agent,
          decision: opts.decision,
          action: opts.action,
          param: opts.param,
        };
        let widths: number[] | undefined;
        let printedHeader = false;
        const emit = (entries: TrafficEntry[]) => {
          if (opts.json) {
            for (const e of entries) ctx.stdout.write(`${JSON.stringify(e)}\n`);
            return;
          }
          if (entries.length === 0) return;
          const rows = entries.map(logRow);
          // Columns only ever widen, so a followed log stays aligned as long as it can.
          const fresh = columnWidths(LOG_COLUMNS, rows);
          widths = widths ? widths.map((w, i) => Math.max(w, fresh[i] ?? 0)) : fresh;
          ctx.stdout.write(formatTable(LOG_COLUMNS, rows, { widths, header: !printedHeader }));
          printedHeader = true;
        };

        // Ctrl-C ends a follow (exit 0) from the very start: a handler installed only after the first
        // page lets a Ctrl-C that follows the first lines kill the process by signal instead.
        const stop = new AbortController();
        const onSigint = () => stop.abort();
        if (opts.follow) process.once('SIGINT', onSigint);
        try {
          const first = await api.request<TrafficPage>('GET', `/v1/traffic${query({ ...filters, last })}`);
          emit(first.entries);
          if (!opts.follow) {
            if (!opts.json && first.entries.length === 0) ctx.stdout.write('no traffic yet\n');
            return;
          }
          let afterId = first.last_id ?? first.entries.at(-1)?.id ?? 0;
          while (!stop.signal.aborted) {
            const page = await api.request<TrafficPage>(
              'GET',
              `/v1/traffic${query({ ...filters, last: PAGE_MAX, after_id: afterId })}`,
            );
            emit(page.entries);
            afterId = page.last_id ?? page.entries.at(-1)?.id ?? afterId;
            if (page.entries.length >= PAGE_MAX) continue;
            await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
          }
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
        // Ctrl-C is how a follow ends: not a failure.
        setResult(0);
      },
    );
  addExamples(cmd, [
    'tameflare logs --last 20',
    'tameflare logs --follow --agent support-bot',
    'tameflare logs --follow --json --decision deny | jq .path',
    'tameflare logs --action stripe.refund.* --param currency=usd',
  ]);
}
