// `tameflare token …`: API tokens (`tf_pat_…`) for scripts and other machines. A token is printed
// exactly once, at creation; lists show only its prefix.
import { type Command, Option } from 'commander';
import type { CreatedTokenAnswer, TokenAnswer, TokenList } from '../../wire/tokens.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { escapeControl, formatTable } from '../format-table.js';
import { parseDuration } from '../parse-duration.js';

export function registerTokenCommand(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('manage API tokens for scripts and the CLI');

  const create = addApiOptions(
    token
      .command('create')
      .description('create an API token and print it once (its role may not be above yours)')
      .requiredOption('--name <name>', 'what the token is for')
      .addOption(
        new Option('--role <role>', 'viewer (default), member, admin or owner').choices([
          'viewer',
          'member',
          'admin',
          'owner',
        ]),
      )
      .option('--expires <duration>', 'lifetime, e.g. 12h, 30d, 1y (default: never expires)'),
  ).action(async (opts: ApiOptions & { name: string; role?: string; expires?: string }) => {
    const body: Record<string, unknown> = { name: opts.name };
    if (opts.role !== undefined) body.role = opts.role;
    if (opts.expires !== undefined) body.expires_in_seconds = parseDuration('--expires', opts.expires);
    const res = await apiClientFor(ctx, opts).request<CreatedTokenAnswer>('POST', '/v1/tokens', body);
    if (opts.json) {
      ctx.stderr.write('tameflare: the token is shown once and cannot be shown again; store it now\n');
      return printJson(ctx, { token: res.token, ...res.info });
    }
    const expiry = res.info.expires_at ? `expires ${res.info.expires_at}` : 'does not expire';
    print(
      ctx,
      [
        `API token ${escapeControl(res.info.name)} created (${res.info.role}, ${expiry}, id ${res.info.id})`,
        '',
        'Token (shown once; it cannot be shown again, store it now):',
        `  ${res.token}`,
        '',
        'Use it as: Authorization: Bearer TOKEN, or TAMEFLARE_TOKEN=TOKEN for this CLI.',
      ].join('\n'),
    );
  });
  addExamples(create, [
    'tameflare token create --name ci --role member --expires 30d',
    'tameflare token create --name backup-script --json',
  ]);

  const list = addApiOptions(
    token.command('list').description('list the API tokens you may see (prefixes only, never secrets)'),
  ).action(async (opts: ApiOptions) => {
    const { tokens } = await apiClientFor(ctx, opts).request<TokenList>('GET', '/v1/tokens');
    if (opts.json) return printJson(ctx, { tokens });
    ctx.stdout.write(
      formatTable(
        [
          { header: 'id' },
          { header: 'prefix' },
          { header: 'name' },
          { header: 'role' },
          { header: 'user' },
          { header: 'status' },
          { header: 'expires' },
          { header: 'last used' },
        ],
        tokens.map((t) => [
          t.id,
          t.prefix ? `${t.prefix}…` : null,
          t.name,
          t.role,
          t.user,
          t.status,
          t.expires_at ?? 'never',
          t.last_used_at,
        ]),
      ),
    );
  });
  addExamples(list, ['tameflare token list', 'tameflare token list --json']);

  const revoke = addApiOptions(
    token
      .command('revoke')
      .description('revoke an API token at once (it is kept in the list as revoked)')
      .argument('<id>', 'the token id (from token list)'),
  ).action(async (id: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<TokenAnswer>('DELETE', `/v1/tokens/${segment(id)}`);
    if (opts.json) return printJson(ctx, res);
    print(ctx, `API token ${escapeControl(res.info.name)} (${res.info.id}) revoked`);
  });
  addExamples(revoke, ['tameflare token revoke tok_5f0c2a9e81d4b736']);
}
