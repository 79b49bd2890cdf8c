// `tameflare agent session-keys NAME` and `tameflare agent revoke-session NAME ID`: the short-lived
// keys `env` and `run` issue, listed and revoked. `run` revokes its own key when the child exits;
// a key printed by `env` lives until it expires (12 h by default, at most 24 h) unless revoked here.
import type { Command } from 'commander';
import type { Revoked, SessionKeyList } from '../../wire/agents.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { escapeControl, formatTable } from '../format-table.js';

export function registerSessionKeyCommands(agent: Command, ctx: CliContext): void {
  const list = addApiOptions(
    agent
      .command('session-keys')
      .description("list an agent's session keys that still work (from `env` and running `run`s)")
      .argument('<name>', 'agent name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<SessionKeyList>(
      'GET',
      `/v1/agents/${segment(name)}/session-keys`,
    );
    if (opts.json) return printJson(ctx, res);
    if (res.session_keys.length === 0) return print(ctx, `agent ${escapeControl(name)} has no session key`);
    print(
      ctx,
      formatTable(
        [{ header: 'id' }, { header: 'issued' }, { header: 'expires' }, { header: 'by' }],
        res.session_keys.map((k) => [k.id, k.created_at, k.expires_at, k.created_by]),
      ),
    );
  });
  addExamples(list, ['tameflare agent session-keys support-bot', 'tameflare agent session-keys ci --json']);

  const revoke = addApiOptions(
    agent
      .command('revoke-session')
      .description('revoke a session key now (what it authenticates stops at once)')
      .argument('<name>', 'agent name')
      .argument('<id>', 'session key id (see: tameflare agent session-keys NAME)'),
  ).action(async (name: string, id: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<Revoked>(
      'DELETE',
      `/v1/agents/${segment(name)}/session-keys/${segment(id)}`,
    );
    if (opts.json) return printJson(ctx, res);
    print(ctx, `session key ${escapeControl(id)} of ${escapeControl(name)} revoked`);
  });
  addExamples(revoke, ['tameflare agent revoke-session support-bot 3f9c…']);
}
