// `tameflare config export|apply`: the configuration as one document kept in git, and applying such
// a document so the live configuration matches it. New agents' keys are printed once, as by
// `agent add`; the document itself never holds keys or credentials.
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { ConfigApplyAnswer, ConfigDocument } from '../../wire/config.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl } from '../format-table.js';
import { readTextFile } from '../read-text-file.js';

function short(v: unknown): string | undefined {
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) {
    const text = JSON.stringify(v);
    return text.length <= 40 ? text : undefined;
  }
  return undefined;
}

/** `mode "enforce" → "monitor"` for short scalars, else just the field name. */
function changeText(field: string, c: { from: unknown; to: unknown }): string {
  const from = short(c.from);
  const to = short(c.to);
  return from !== undefined && to !== undefined ? `${field} ${from} → ${to}` : field;
}

/** The diff as an operator reads it: + create, ~ update, - delete, then what was kept and the keys. */
export function applyText(a: ConfigApplyAnswer): string {
  const e = escapeControl;
  const lines: string[] = [];
  for (const i of a.create) lines.push(`+ ${i.kind} ${e(i.name)}`);
  for (const u of a.update)
    lines.push(
      `~ ${u.kind} ${e(u.name)}: ${Object.entries(u.changes)
        .map(([f, c]) => e(changeText(f, c)))
        .join(', ')}`,
    );
  for (const i of a.delete) lines.push(`- ${i.kind} ${e(i.name)}`);
  if (a.kept.length > 0)
    lines.push(
      `= kept, not in the file (--prune removes them): ${a.kept.map((k) => `${k.kind} ${e(k.name)}`).join(', ')}`,
    );
  const would = a.dry_run ? 'would ' : '';
  const total = a.create.length + a.update.length + a.delete.length;
  lines.push(
    total === 0
      ? `nothing to change (${a.unchanged} unchanged)`
      : `${would}create ${a.create.length}, ${would}update ${a.update.length}, ${would}delete ${a.delete.length}; ${a.unchanged} unchanged`,
  );
  const keys = Object.entries(a.new_agent_keys);
  if (keys.length > 0) {
    lines.push('', 'new agent keys (shown once; store them now):');
    for (const [name, key] of keys) lines.push(`  ${e(name)}  ${key}`);
  }
  for (const c of a.credentials_missing)
    lines.push(
      `connector ${e(c)} has no credential here: tameflare connector set-token ${e(c)} --token-stdin`,
    );
  for (const w of a.warnings ?? []) lines.push(`warning: ${e(w)}`);
  if (a.dry_run) lines.push('dry run: nothing was changed');
  return `${lines.join('\n')}\n`;
}

export function registerConfigCommand(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description(
      'configuration as code: agents, connectors, permissions, policies and rate limits in one file',
    );

  const exp = addApiOptions(
    config
      .command('export')
      .description('write the live configuration as one document (no agent keys, credentials or kill switch)')
      .option('-o, --output <file>', 'write to this file instead of stdout')
      .addOption(
        new Option('--format <format>', 'document format').choices(['yaml', 'json']).default('yaml'),
      ),
  ).action(async (opts: ApiOptions & { output?: string; format: 'yaml' | 'json' }) => {
    const api = apiClientFor(ctx, opts);
    const json = opts.json === true || opts.format === 'json';
    // The server renders the YAML (with its header), so the CLI needs no copy of the formatter.
    const text = json
      ? `${JSON.stringify(await api.request<ConfigDocument>('GET', '/v1/config/export?format=json'), null, 2)}\n`
      : await api.requestText('GET', '/v1/config/export');
    if (opts.output === undefined) return void ctx.stdout.write(text);
    try {
      writeFileSync(opts.output, text);
    } catch (err) {
      throw new CliError(`cannot write ${opts.output}: ${(err as Error).message}`);
    }
    const doc = (json ? JSON.parse(text) : parseYaml(text)) as ConfigDocument;
    const n = (k: keyof ConfigDocument) => (Array.isArray(doc[k]) ? (doc[k] as unknown[]).length : 0);
    print(
      ctx,
      `wrote ${opts.output}: ${n('agents')} agents, ${n('connectors')} connectors, ${n('permissions')} permissions, ` +
        `${n('policies')} policies, ${n('rate_limits')} rate limits`,
    );
  });
  addExamples(exp, [
    'tameflare config export -o tameflare.yaml',
    'tameflare config export --format json > tameflare.json',
  ]);

  const apply = addApiOptions(
    config
      .command('apply')
      .description(
        'make the live configuration match a document; prints the diff (+ create, ~ update, - delete)',
      )
      .requiredOption('-f, --file <file>', 'YAML or JSON document (as written by config export)')
      .option('--dry-run', 'only show what would change')
      .option('--prune', 'also delete what the document leaves out (in the sections it has)'),
  ).action(async (opts: ApiOptions & { file: string; dryRun?: boolean; prune?: boolean }) => {
    const document = readTextFile(opts.file, 'configuration file');
    const res = await apiClientFor(ctx, opts).request<ConfigApplyAnswer>('POST', '/v1/config/apply', {
      document,
      dry_run: opts.dryRun === true,
      prune: opts.prune === true,
    });
    if (opts.json) return printJson(ctx, res);
    ctx.stdout.write(applyText(res));
  });
  addExamples(apply, [
    'tameflare config apply -f tameflare.yaml --dry-run',
    'tameflare config apply -f tameflare.yaml --prune',
  ]);
}
