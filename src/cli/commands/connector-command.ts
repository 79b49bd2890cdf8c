// `tameflare connector …`: what the gateway maps and the credentials it injects.
//
// Threat model for credentials: a value on the command line lands in shell history and in every
// process listing, so a connector's secret is only ever read from stdin (--token-stdin) or from a
// named environment variable (--token-env VAR). It is sent once, in the body of one PUT, and never
// printed: output shows at most the last four characters the control plane reports.
import { type Command, Option } from 'commander';
import type { Deleted } from '../../wire/agents.js';
import type {
  ActionCatalogue,
  ConnectorAnswer,
  ConnectorList,
  ConnectorTypeList,
  ConnectorView,
} from '../../wire/connectors.js';
import { addExamples } from '../add-examples.js';
import { type ApiOptions, addApiOptions, apiClientFor, segment } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl, formatTable } from '../format-table.js';

interface SecretFlags {
  tokenStdin?: boolean;
  tokenEnv?: string;
}

/** What a TameFlare API token looks like (src/control/auth/secret-tokens.ts). */
const API_TOKEN_PREFIX = 'tf_pat_';
const MAX_SECRET_BYTES = 64 * 1024;

/**
 * --token on `connector add`/`set-token` is the one place where an operator may reasonably think it
 * carries the connector's secret. It is honoured only when it is visibly a TameFlare API token;
 * anything else is refused before it is sent anywhere (and is never echoed).
 */
export function checkApiTokenFlag(token: string | undefined): void {
  if (token === undefined || token.startsWith(API_TOKEN_PREFIX)) return;
  throw new CliError(
    "refusing --token here: a connector's secret never goes on the command line (shell history, process " +
      'lists); pipe it with --token-stdin or name a variable with --token-env VAR ' +
      '(for the TameFlare API token, use TAMEFLARE_TOKEN)',
    2,
  );
}

/** Which secret source the flags select; exactly one is required when `required`. */
export function secretSource(flags: SecretFlags, required: boolean): 'stdin' | 'env' | undefined {
  if (flags.tokenStdin && flags.tokenEnv !== undefined) {
    throw new CliError('give either --token-stdin or --token-env VAR, not both', 2);
  }
  if (flags.tokenStdin) return 'stdin';
  if (flags.tokenEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags.tokenEnv)) {
      throw new CliError(
        `invalid --token-env ${JSON.stringify(flags.tokenEnv)}: expected a variable name`,
        2,
      );
    }
    return 'env';
  }
  if (required) throw new CliError('the token is required: pass --token-stdin or --token-env VAR', 2);
  return undefined;
}

/** A secret as piped: one trailing newline (as `echo` adds) is not part of it. */
export function trimSecret(raw: string): string {
  return raw.replace(/\r?\n$/, '');
}

async function readStdin(ctx: CliContext): Promise<string> {
  if (ctx.stdin.isTTY) {
    ctx.stderr.write(
      'tameflare: reading the token from the terminal; end with Ctrl-D (piping it is safer)\n',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_SECRET_BYTES)
      throw new CliError(`the token on stdin is longer than ${MAX_SECRET_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readSecret(
  ctx: CliContext,
  flags: SecretFlags,
  required: boolean,
): Promise<string | undefined> {
  const source = secretSource(flags, required);
  if (source === undefined) return undefined;
  if (source === 'stdin') {
    const secret = trimSecret(await readStdin(ctx));
    if (secret.trim() === '') throw new CliError('the token on stdin is empty');
    return secret;
  }
  const name = flags.tokenEnv!;
  const value = ctx.env[name];
  if (value === undefined || value.trim() === '') {
    throw new CliError(`environment variable ${name} (from --token-env) is not set or empty`);
  }
  return value;
}

function credentialText(c: ConnectorView): string {
  if (!c.credential_set) return 'none';
  return c.credential_last4 ? `set (…${c.credential_last4})` : 'set';
}

function addSecretOptions(cmd: Command): Command {
  return cmd
    .option('--token-stdin', "read the connector's token from stdin (until EOF)")
    .option('--token-env <var>', "read the connector's token from this environment variable");
}

async function putCredential(
  ctx: CliContext,
  opts: ApiOptions,
  name: string,
  secret: string,
): Promise<ConnectorView> {
  const res = await apiClientFor(ctx, opts).request<ConnectorAnswer>(
    'PUT',
    `/v1/connectors/${segment(name)}/credential`,
    { secret },
  );
  return res.connector;
}

export function registerConnectorCommand(program: Command, ctx: CliContext): void {
  const connector = program
    .command('connector')
    .description('manage connectors: the services agents may reach, and their credentials');

  const add = addApiOptions(
    addSecretOptions(
      connector
        .command('add')
        .description('configure a connector and, optionally, store its credential in the gateway vault')
        .argument('<type>', 'connector type (see: tameflare connector types)')
        .option('--name <name>', 'name of this instance (default: the type)')
        .option('--domains <list>', "comma-separated domains it covers (default: the type's own)")
        .option('--auth <scheme>', "bearer | basic | none | header:NAME | query:NAME (default: the type's)")
        .option('--base-url <url>', 'base URL, e.g. for an enterprise install')
        .option('--no-intercept', 'tunnel HTTPS without terminating TLS (host-level decisions only)')
        .option(
          '--allow-cleartext',
          'inject the stored credential into plain http:// requests too (an internal host without TLS)',
        )
        .option('--gateway <name>', 'gateway the connector belongs to (default "default")'),
    ),
  ).action(
    async (
      type: string,
      opts: ApiOptions &
        SecretFlags & {
          name?: string;
          domains?: string;
          auth?: string;
          baseUrl?: string;
          intercept: boolean;
          allowCleartext?: boolean;
          gateway?: string;
        },
    ) => {
      checkApiTokenFlag(opts.token);
      // Read the secret first: a missing or empty one should not leave a half-made connector behind.
      const secret = await readSecret(ctx, opts, false);
      const body: Record<string, unknown> = { type };
      if (opts.name !== undefined) body.name = opts.name;
      if (opts.domains !== undefined) {
        const domains = opts.domains
          .split(',')
          .map((d) => d.trim())
          .filter((d) => d !== '');
        if (domains.length === 0) throw new CliError('--domains is empty', 2);
        body.domains = domains;
      }
      if (opts.auth !== undefined) body.auth = opts.auth;
      if (opts.baseUrl !== undefined) body.base_url = opts.baseUrl;
      if (!opts.intercept) body.intercept = false;
      if (opts.allowCleartext) body.allow_cleartext = true;
      if (opts.gateway !== undefined) body.gateway = opts.gateway;
      const res = await apiClientFor(ctx, opts).request<ConnectorAnswer>('POST', '/v1/connectors', body);
      let view = res.connector;
      if (secret !== undefined) {
        try {
          view = await putCredential(ctx, opts, view.name, secret);
        } catch (err) {
          throw new CliError(
            `connector ${view.name} was added but its token was not stored: ${(err as Error).message}; ` +
              `retry with: tameflare connector set-token ${view.name} --token-stdin`,
          );
        }
      }
      if (opts.json) return printJson(ctx, { connector: view });
      print(
        ctx,
        `connector ${escapeControl(view.name)} (${escapeControl(view.type)}) added: domains ${escapeControl(
          view.domains.join(', '),
        )}; credential ${credentialText(view)}${
          view.allow_cleartext ? '; injected over plain http:// too (--allow-cleartext)' : ''
        }`,
      );
      if (!view.credential_set) {
        print(
          ctx,
          `agents' own credentials pass through until you run: tameflare connector set-token ${view.name}`,
        );
      }
    },
  );
  addExamples(add, [
    'tameflare connector add github --token-env GITHUB_TOKEN',
    'printf %s "$GITHUB_TOKEN" | tameflare connector add github --name gh-work --token-stdin',
    'tameflare connector add generic --name internal --domains api.internal.example --auth header:X-Api-Key --token-env INTERNAL_KEY',
    'tameflare connector add generic --name legacy --domains legacy.corp.example --allow-cleartext --token-env LEGACY_KEY',
  ]);

  const list = addApiOptions(
    connector.command('list').description('list connectors (secrets are never shown)'),
  ).action(async (opts: ApiOptions) => {
    const { connectors } = await apiClientFor(ctx, opts).request<ConnectorList>('GET', '/v1/connectors');
    if (opts.json) return printJson(ctx, { connectors });
    if (connectors.length === 0)
      return print(ctx, 'no connectors (add one with: tameflare connector add TYPE)');
    ctx.stdout.write(
      formatTable(
        [
          { header: 'name' },
          { header: 'type' },
          { header: 'auth' },
          { header: 'credential' },
          { header: 'intercept' },
          { header: 'gateway' },
          { header: 'domains' },
        ],
        connectors.map((c) => [
          c.name,
          c.type,
          c.auth,
          credentialText(c),
          c.intercept,
          c.gateway,
          c.domains.join(','),
        ]),
      ),
    );
  });
  addExamples(list, ['tameflare connector list']);

  const remove = addApiOptions(
    connector
      .command('remove')
      .description('delete a connector and its stored credential')
      .argument('<name>', 'connector name'),
  ).action(async (name: string, opts: ApiOptions) => {
    const res = await apiClientFor(ctx, opts).request<Deleted>('DELETE', `/v1/connectors/${segment(name)}`);
    if (opts.json) return printJson(ctx, res);
    print(ctx, `connector ${escapeControl(name)} removed`);
  });
  addExamples(remove, ['tameflare connector remove github']);

  const setToken = addApiOptions(
    addSecretOptions(
      connector
        .command('set-token')
        .description("store or replace a connector's credential in the gateway vault")
        .argument('<name>', 'connector name'),
    ),
  ).action(async (name: string, opts: ApiOptions & SecretFlags) => {
    checkApiTokenFlag(opts.token);
    const secret = (await readSecret(ctx, opts, true))!;
    const view = await putCredential(ctx, opts, name, secret);
    if (opts.json) return printJson(ctx, { connector: view });
    print(ctx, `connector ${escapeControl(view.name)}: credential ${credentialText(view)}`);
  });
  addExamples(setToken, [
    'tameflare connector set-token stripe --token-env STRIPE_SECRET_KEY',
    'printf %s "$GITHUB_TOKEN" | tameflare connector set-token github --token-stdin',
  ]);

  const types = addApiOptions(connector.command('types').description('list the connector types')).action(
    async (opts: ApiOptions) => {
      const res = await apiClientFor(ctx, opts).request<ConnectorTypeList>('GET', '/v1/connector-types');
      if (opts.json) return printJson(ctx, res);
      ctx.stdout.write(
        formatTable(
          [
            { header: 'type' },
            { header: 'title' },
            { header: 'auth' },
            { header: 'actions', align: 'right' },
            { header: 'default domains' },
          ],
          res.types.map((t) => [t.type, t.title, t.default_auth, t.actions, t.default_domains.join(',')]),
        ),
      );
    },
  );
  addExamples(types, ['tameflare connector types']);

  const actions = addApiOptions(
    connector
      .command('actions')
      .description("list a connector type's actions: what permissions and policies can name")
      .argument('<type>', 'connector type')
      .addOption(
        new Option('--risk <level>', 'only actions of this risk').choices(['low', 'medium', 'high']),
      ),
  ).action(async (type: string, opts: ApiOptions & { risk?: string }) => {
    const res = await apiClientFor(ctx, opts).request<ActionCatalogue>(
      'GET',
      `/v1/connector-types/${segment(type)}/actions`,
    );
    const rows = opts.risk ? res.actions.filter((a) => a.risk === opts.risk) : res.actions;
    if (opts.json) return printJson(ctx, { type: res.type, actions: rows });
    ctx.stdout.write(
      formatTable(
        [
          { header: 'action' },
          { header: 'method' },
          { header: 'path' },
          { header: 'risk' },
          { header: 'params' },
        ],
        rows.map((a) => [a.action, a.method, a.path, a.risk, a.params.join(',')]),
      ),
    );
  });
  addExamples(actions, [
    'tameflare connector actions github',
    'tameflare connector actions stripe --risk high --json',
  ]);
}
