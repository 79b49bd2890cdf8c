import type { Command } from 'commander';
import { stringify } from 'yaml';
import { parsePolicyCasesYaml } from '../../decide/policy-cases.js';
import { parsePolicyYamlAll, type SchemaError } from '../../decide/policy-schema.js';
import { type PolicyTestReport, runPolicyTests } from '../../decide/policy-test-runner.js';
import type { PolicyDocument } from '../../decide/policy-types.js';
import type {
  PolicyAnswer,
  PolicyDeleted,
  PolicyList,
  PolicyRollbackAnswer,
  PolicySaveAnswer,
  PolicyToggleAnswer,
  PolicyVersions,
} from '../../wire/policies.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, parseIntegerFlag, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';
import { readTextFile } from '../read-text-file.js';

/** Schema errors of one file as one line: `FILE: line 7, rules[0].decision: must be …; …`. */
export function schemaErrorsLine(file: string, errors: readonly SchemaError[]): string {
  const shown = errors
    .slice(0, 5)
    .map((e) => `${e.line ? `line ${e.line}, ` : ''}${e.path || '(document)'}: ${e.message}`);
  return `${file}: ${shown.join('; ')}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`;
}

export function loadPolicyFiles(files: readonly string[]): PolicyDocument[] {
  const policies: PolicyDocument[] = [];
  for (const file of files) {
    const r = parsePolicyYamlAll(readTextFile(file, 'policy file'));
    if (!r.ok) throw new CliError(`invalid policy ${schemaErrorsLine(file, r.errors)}`);
    policies.push(...r.policies);
  }
  return policies;
}

/** The pass/fail table, then for each failure what differed and how the case was decided. */
export function policyTestText(report: PolicyTestReport): string {
  const table = formatTable(
    [{ header: 'result' }, { header: 'case' }, { header: 'decision' }],
    report.results.map((r) => [
      r.pass ? 'PASS' : 'FAIL',
      r.name,
      `${r.decision.verdict} (${r.decision.code})`,
    ]),
  );
  const lines = [table.trimEnd()];
  for (const p of report.invalidPolicies) lines.push(`INVALID POLICY ${escapeControl(p)}`);
  for (const r of report.results.filter((x) => !x.pass)) {
    lines.push('', `FAIL ${escapeControl(r.name)}`);
    for (const f of r.failures) lines.push(`  ✗ ${escapeControl(f)}`);
    for (const e of r.explanation) lines.push(`    ${escapeControl(e)}`);
  }
  lines.push('', `${report.passed} passed, ${report.failed} failed`);
  return `${lines.join('\n')}\n`;
}

/** YAML as printed: control characters the serializer leaves raw (C1) cannot drive the terminal. */
export function printableLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerPolicyCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const policy = program
    .command('policy')
    .description('manage policies: conditions on actions, labels and time (SPEC 6)');
  const client = (opts: ApiOptions) => apiClientFor(ctx, opts);

  const apply = addApiOptions(
    policy
      .command('apply')
      .description(
        'create or update policies from a YAML or JSON file (several with ---); identical ones are left alone',
      )
      .requiredOption('-f, --file <file>', 'policy file'),
  ).action(async (opts: ApiOptions & { file: string }) => {
    const yaml = readTextFile(opts.file, 'policy file');
    const res = await client(opts).request<PolicySaveAnswer>('POST', '/v1/policies', {
      yaml,
    });
    if (opts.json) return printJson(ctx, res);
    for (const r of res.results) print(ctx, `policy ${escapeControl(r.name)}: ${r.message}`);
  });
  addExamples(apply, ['tameflare policy apply -f policies/refund-limits.yaml']);

  const list = addApiOptions(policy.command('list').description('list policies')).action(
    async (opts: ApiOptions) => {
      const res = await client(opts).request<PolicyList>('GET', '/v1/policies');
      if (opts.json) return printJson(ctx, res);
      if (res.policies.length === 0) return print(ctx, 'no policies: permissions alone decide');
      ctx.stdout.write(
        formatTable(
          [
            { header: 'name' },
            { header: 'version', align: 'right' },
            { header: 'enabled' },
            { header: 'priority', align: 'right' },
            { header: 'mode' },
            { header: 'rules', align: 'right' },
            { header: 'updated' },
          ],
          res.policies.map((p) => [p.name, p.version, p.enabled, p.priority, p.mode, p.rules, p.updated_at]),
        ),
      );
    },
  );
  addExamples(list, ['tameflare policy list', 'tameflare policy list --json']);

  const show = addApiOptions(
    policy.command('show').description("print a policy's current document").argument('<name>', 'policy name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await client(opts).request<PolicyAnswer>('GET', `/v1/policies/${segment(name)}`);
    if (opts.json) return printJson(ctx, res);
    const p = res.policy;
    print(ctx, `# version ${p.version}, ${p.enabled ? 'enabled' : 'disabled'}, updated ${p.updated_at}`);
    ctx.stdout.write(printableLines(stringify(p.document, { lineWidth: 0 })));
  });
  addExamples(show, ['tameflare policy show refund-limits > refund-limits.yaml']);

  const del = addApiOptions(
    policy
      .command('delete')
      .description('delete a policy (its history is kept)')
      .argument('<name>', 'policy name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await client(opts).request<PolicyDeleted>('DELETE', `/v1/policies/${segment(name)}`);
    if (opts.json) return printJson(ctx, res);
    print(
      ctx,
      `policy ${escapeControl(name)} deleted (history kept; restore with: tameflare policy rollback ${escapeControl(name)} ${res.version - 1})`,
    );
  });
  addExamples(del, ['tameflare policy delete refund-limits']);

  for (const verb of ['enable', 'disable'] as const) {
    const cmd = addApiOptions(
      policy
        .command(verb)
        .description(`${verb} a policy (recorded as a new version)`)
        .argument('<name>', 'policy name'),
    ).action(async (name: string, opts: ApiOptions) => {
      const res = await client(opts).request<PolicyToggleAnswer>(
        'POST',
        `/v1/policies/${segment(name)}/${verb}`,
      );
      if (opts.json) return printJson(ctx, res);
      print(ctx, `policy ${escapeControl(name)}: ${res.message}`);
    });
    addExamples(cmd, [`tameflare policy ${verb} refund-limits`]);
  }

  const history = addApiOptions(
    policy
      .command('history')
      .description("a policy's versions, newest first")
      .argument('<name>', 'policy name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await client(opts).request<PolicyVersions>('GET', `/v1/policies/${segment(name)}/versions`);
    if (opts.json) return printJson(ctx, res);
    ctx.stdout.write(
      formatTable(
        [
          { header: 'version', align: 'right' },
          { header: 'change' },
          { header: 'actor' },
          { header: 'at' },
          { header: '' },
        ],
        res.versions.map((v) => [
          v.version,
          v.change,
          v.actor,
          v.created_at,
          v.version === res.current_version ? 'current' : '',
        ]),
      ),
    );
  });
  addExamples(history, ['tameflare policy history refund-limits']);

  const rollback = addApiOptions(
    policy
      .command('rollback')
      .description(
        "make an earlier version's document current again (as a new version; restores a deleted policy)",
      )
      .argument('<name>', 'policy name')
      .argument('<version>', 'version to restore (see: tameflare policy history NAME)'),
  ).action(async (name: string, version: string, opts: ApiOptions) => {
    const v = parseIntegerFlag('version', version, 1, Number.MAX_SAFE_INTEGER);
    const res = await client(opts).request<PolicyRollbackAnswer>(
      'POST',
      `/v1/policies/${segment(name)}/rollback`,
      {
        version: v,
      },
    );
    if (opts.json) return printJson(ctx, res);
    print(ctx, `policy ${escapeControl(name)}: ${res.message}`);
  });
  addExamples(rollback, ['tameflare policy rollback refund-limits 3']);

  const test = policy
    .command('test')
    .description('run a table of cases against policy files, offline (no daemon); exit 1 when a case fails')
    .requiredOption('-f, --file <file>', 'policy file (repeat for several)', collect)
    .requiredOption('--cases <file>', 'cases file (YAML): requests and the decisions expected for them')
    .option('--json', 'machine-readable output')
    .action((opts: { file: string[]; cases: string; json?: boolean }) => {
      const policies = loadPolicyFiles(opts.file);
      const cases = parsePolicyCasesYaml(readTextFile(opts.cases, 'cases file'));
      if (!cases.ok) throw new CliError(`invalid cases ${schemaErrorsLine(opts.cases, cases.errors)}`);
      const report = runPolicyTests(policies, cases.cases);
      setResult(report.failed > 0 ? 1 : 0);
      if (!opts.json) return void ctx.stdout.write(policyTestText(report));
      printJson(ctx, {
        passed: report.passed,
        failed: report.failed,
        invalid_policies: report.invalidPolicies,
        results: report.results.map((r) => ({
          name: r.name,
          pass: r.pass,
          failures: r.failures,
          verdict: r.decision.verdict,
          code: r.decision.code,
          reasons: r.decision.reasons,
        })),
      });
    });
  addExamples(test, [
    'tameflare policy test -f policies/refund-limits.yaml --cases policies/refund-limits.cases.yaml',
    'tameflare policy test -f a.yaml -f b.yaml --cases cases.yaml --json',
  ]);
}
