// `tameflare approvals webhook …`: receivers told (signed JSON, or Slack's incoming-webhook format)
// about every new approval and every decision, and what each delivery attempt got back.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { WebhookCreatedWire, WebhookDeliveryWire, WebhookWire } from '../../wire/approvals.js';
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
import { formatTable } from '../format-table.js';

export function registerApprovalWebhookCommands(approvals: Command, ctx: CliContext): void {
  const webhook = approvals.command('webhook').description('who is told about approvals (signed webhooks)');

  const add = addApiOptions(
    webhook
      .command('add')
      .description('add a receiver; prints its signing secret once')
      .argument('<url>', 'http(s) URL that receives a POST per new approval and per decision')
      .addOption(
        new Option('--format <format>', 'json (signed event) or slack (incoming webhook)')
          .choices(['json', 'slack'])
          .default('json'),
      )
      .option('--secret-stdin', 'read the signing secret from stdin instead of generating one'),
  ).action(async (url: string, opts: ApiOptions & { format: string; secretStdin?: boolean }) => {
    let secret: string | undefined;
    if (opts.secretStdin) {
      secret = (await readAll(ctx.stdin)).trim();
      if (secret.length < 16) throw new CliError('the secret from stdin must be at least 16 characters', 2);
    }
    const res = await apiClientFor(ctx, opts).request<WebhookCreatedWire>('POST', '/v1/approvals/webhooks', {
      url,
      format: opts.format,
      ...(secret ? { secret } : {}),
    });
    if (opts.json) return printJson(ctx, res);
    print(ctx, `webhook ${res.id} added (${res.format}): ${res.url}`);
    if (!secret) print(ctx, `signing secret (shown once): ${res.secret}`);
  });
  addExamples(add, [
    'tameflare approvals webhook add https://hooks.example.com/tameflare',
    'tameflare approvals webhook add https://hooks.slack.com/services/T0/B0/XXXX --format slack',
  ]);

  const list = addApiOptions(webhook.command('list').description('list receivers')).action(
    async (opts: ApiOptions) => {
      const res = await apiClientFor(ctx, opts).request<{ webhooks: WebhookWire[] }>(
        'GET',
        '/v1/approvals/webhooks',
      );
      if (opts.json) return printJson(ctx, res);
      if (res.webhooks.length === 0) return print(ctx, 'no webhooks');
      ctx.stdout.write(
        formatTable(
          [
            { header: 'id' },
            { header: 'format' },
            { header: 'url' },
            { header: 'secret' },
            { header: 'added by' },
          ],
          res.webhooks.map((w) => [w.id, w.format, w.url, `…${w.secret_last4}`, w.created_by]),
        ),
      );
    },
  );

  addExamples(list, ['tameflare approvals webhook list', 'tameflare approvals webhook list --json']);

  const remove = addApiOptions(
    webhook.command('remove').description('remove a receiver').argument('<id>', 'webhook id (whk_…)'),
  ).action(async (id: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<{ removed: string }>(
      'DELETE',
      `/v1/approvals/webhooks/${segment(id)}`,
    );
    if (opts.json) return printJson(ctx, res);
    print(ctx, `removed ${res.removed}`);
  });

  addExamples(remove, ['tameflare approvals webhook remove whk_0123456789abcdef']);

  const deliveries = addApiOptions(
    webhook
      .command('deliveries')
      .description('recent deliveries: each event sent, its attempts and the last answer')
      .option('--webhook <id>', 'only this receiver')
      .option('--limit <n>', 'at most this many (1 to 500, default 100)'),
  ).action(async (opts: ApiOptions & { webhook?: string; limit?: string }) => {
    const limit = opts.limit === undefined ? undefined : parseIntegerFlag('--limit', opts.limit, 1, 500);
    const res = await apiClientFor(ctx, opts).request<{ deliveries: WebhookDeliveryWire[] }>(
      'GET',
      `/v1/approvals/webhooks/deliveries${query({ webhook: opts.webhook, limit })}`,
    );
    if (opts.json) return printJson(ctx, res);
    if (res.deliveries.length === 0) return print(ctx, 'no deliveries');
    ctx.stdout.write(
      formatTable(
        [
          { header: 'id', align: 'right' },
          { header: 'webhook' },
          { header: 'event' },
          { header: 'approval' },
          { header: 'status' },
          { header: 'attempts', align: 'right' },
          { header: 'last answer' },
        ],
        res.deliveries.map((d) => [
          d.id,
          d.webhook_id,
          d.event,
          d.approval_id,
          d.status,
          d.attempts,
          d.last_error ?? d.last_status,
        ]),
      ),
    );
  });
  addExamples(deliveries, [
    'tameflare approvals webhook deliveries',
    'tameflare approvals webhook deliveries --webhook whk_0123456789abcdef --json',
  ]);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream)
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return text;
}
