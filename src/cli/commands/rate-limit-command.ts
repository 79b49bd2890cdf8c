// `tameflare rate-limit set|list|remove`: token buckets per agent (or every agent), optionally per
// connector or action pattern. An addition to SPEC 9: the API has them, so the CLI does too.
import type { Command } from 'commander';
import type {
  RateLimitDeleted,
  RateLimitList,
  RateLimitSetAnswer,
  RateLimitView,
} from '../../wire/rate-limits.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, query, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';

/** A positive number of tokens per second; `10/m` and `2/h` are accepted for slow rates. */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|m|h))?$/.exec(value.trim());
  const n = m ? Number(m[1]) / { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : Number.NaN;
  if (!(n > 0))
    throw new CliError(
      `invalid --rate ${JSON.stringify(value)}: tokens per second above 0, e.g. 5, 0.5 or 30/m`,
      2,
    );
  return n;
}

export function parseBurst(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000)
    throw new CliError(`invalid --burst ${JSON.stringify(value)}: a whole number from 1 to 1000000`, 2);
  return Number(value);
}

function describeLimit(r: RateLimitView): string {
  const e = escapeControl;
  return `${r.agent === '*' ? 'every agent' : e(r.agent)}${r.connector ? ` on ${e(r.connector)}` : ''}${r.action ? ` for ${e(r.action)}` : ''}: ${r.rate}/s, burst ${r.burst}`;
}

export function registerRateLimitCommand(program: Command, ctx: CliContext): void {
  const rl = program
    .command('rate-limit')
    .description('token-bucket rate limits per agent (429 rate_limited with Retry-After)');

  const set = addApiOptions(
    rl
      .command('set')
      .description('set a limit (replaces the rate and burst of the same agent + connector + action)')
      .requiredOption('--agent <name>', "agent name, or '*' for each agent (each gets its own bucket)")
      .option('--connector <name>', 'only requests through this connector')
      .option('--action <pattern>', 'only actions matching this pattern, e.g. stripe.refund.*')
      .requiredOption('--rate <rate>', 'tokens refilled per second (e.g. 5, 0.5, 30/m)')
      .requiredOption('--burst <n>', 'bucket size: requests allowed at once'),
  ).action(
    async (
      opts: ApiOptions & { agent: string; connector?: string; action?: string; rate: string; burst: string },
    ) => {
      const body: Record<string, unknown> = {
        agent: opts.agent,
        rate: parseRate(opts.rate),
        burst: parseBurst(opts.burst),
      };
      if (opts.connector !== undefined) body.connector = opts.connector;
      if (opts.action !== undefined) body.action = opts.action;
      const res = await apiClientFor(ctx, opts).request<RateLimitSetAnswer>('POST', '/v1/rate-limits', body);
      if (opts.json) return printJson(ctx, res);
      print(ctx, `rate limit ${res.rate_limit.id} ${res.change}: ${describeLimit(res.rate_limit)}`);
    },
  );
  addExamples(set, [
    "tameflare rate-limit set --agent '*' --rate 10 --burst 20",
    'tameflare rate-limit set --agent pay-bot --connector stripe --action stripe.refund.* --rate 30/m --burst 5',
  ]);

  const list = addApiOptions(
    rl
      .command('list')
      .description('list rate limits')
      .option('--agent <name>', "those that apply to this agent (its own and '*')"),
  ).action(async (opts: ApiOptions & { agent?: string }) => {
    const res = await apiClientFor(ctx, opts).request<RateLimitList>(
      'GET',
      `/v1/rate-limits${query({ agent: opts.agent })}`,
    );
    if (opts.json) return printJson(ctx, res);
    if (res.rate_limits.length === 0) return print(ctx, 'no rate limits');
    ctx.stdout.write(
      formatTable(
        [
          { header: 'id' },
          { header: 'agent' },
          { header: 'connector' },
          { header: 'action' },
          { header: 'rate/s', align: 'right' },
          { header: 'burst', align: 'right' },
        ],
        res.rate_limits.map((r) => [r.id, r.agent, r.connector, r.action, r.rate, r.burst]),
      ),
    );
  });
  addExamples(list, ['tameflare rate-limit list', 'tameflare rate-limit list --agent pay-bot --json']);

  const remove = addApiOptions(
    rl
      .command('remove')
      .description('delete a rate limit by id (see: tameflare rate-limit list)')
      .argument('<id>', 'rate limit id'),
  ).action(async (id: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<RateLimitDeleted>(
      'DELETE',
      `/v1/rate-limits/${segment(id)}`,
    );
    if (opts.json) return printJson(ctx, res);
    print(ctx, `rate limit ${escapeControl(id)} removed`);
  });
  addExamples(remove, ['tameflare rate-limit remove 3kq9Xw1mZcB2']);
}
