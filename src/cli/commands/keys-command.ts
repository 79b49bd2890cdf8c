// `tameflare keys …`: the control plane's ES256 signing keys (decision tokens, retention anchors).
// Only public parts are ever shown; the private key stays in the data directory's signing.key.
import type { Command } from 'commander';
import type { KeyList, KeyRotated } from '../../wire/actions.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { formatTable } from '../format-table.js';

export function registerKeysCommand(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('the signing keys of decision tokens (owner rotates)');

  const rotate = addApiOptions(
    keys
      .command('rotate')
      .description('replace the signing key; the old one stays published until the tokens it signed expire'),
  ).action(async (opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<KeyRotated>('POST', '/v1/keys/rotate', {});
    if (opts.json) return printJson(ctx, res);
    print(
      ctx,
      `signing key rotated: new key ${res.kid}\n` +
        `the old key ${res.previous_kid} stays in /.well-known/jwks.json until ${res.previous_published_until}`,
    );
  });
  addExamples(rotate, ['tameflare keys rotate', 'tameflare keys rotate --json']);

  const list = addApiOptions(
    keys.command('list').description('signing keys: current, retired, still published'),
  ).action(async (opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<KeyList>('GET', '/v1/keys');
    if (opts.json) return printJson(ctx, res);
    ctx.stdout.write(
      formatTable(
        [{ header: 'kid' }, { header: 'state' }, { header: 'created' }, { header: 'published until' }],
        res.keys.map((k) => [
          k.kid,
          k.current ? 'current' : k.published ? 'retired, published' : 'retired',
          k.created_at,
          k.current ? null : k.published_until,
        ]),
      ),
    );
  });
  addExamples(list, ['tameflare keys list']);
}
