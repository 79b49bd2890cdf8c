// The options every daemon-talking command shares (--data-dir, --url, --token, --json), declared
// once so that their wording and precedence cannot drift between command groups.
import type { Command } from 'commander';
import { resolveDataDir } from '../daemon/data-dir-paths.js';
import { ApiClient, resolveApiTarget } from './api-client.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';

export interface ApiOptions {
  dataDir?: string;
  url?: string;
  token?: string;
  json?: boolean;
}

/**
 * `json: false` for commands that declare their own --json; `url: false` for one whose --url means
 * something else (dry-run's request URL): the control plane then comes from TAMEFLARE_URL.
 */
export function addApiOptions(
  cmd: Command,
  opts: { json?: boolean; token?: boolean; url?: boolean } = {},
): Command {
  cmd.option('--data-dir <dir>', 'data directory, for cli.token and the CA (env TAMEFLARE_DATA_DIR)');
  if (opts.url !== false) {
    cmd.option('--url <url>', 'control plane URL (env TAMEFLARE_URL, default http://127.0.0.1:3000)');
  }
  if (opts.token !== false)
    cmd.option('--token <token>', 'API token (env TAMEFLARE_TOKEN, default cli.token)');
  if (opts.json !== false) cmd.option('--json', 'machine-readable output');
  return cmd;
}

export function apiClientFor(ctx: CliContext, opts: ApiOptions): ApiClient {
  return new ApiClient(resolveApiTarget(ctx, opts));
}

export function dataDirOf(ctx: CliContext, opts: { dataDir?: string | undefined }): string {
  return resolveDataDir(opts.dataDir, ctx.env);
}

/** A path segment from user input: encoded, so a name can never add segments or a query. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** A query string from defined values only. */
export function query(params: Record<string, string | number | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) for (const item of v) q.append(k, item);
    else if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** Parses a whole number in [min, max] or fails as a usage error naming the flag. */
export function parseIntegerFlag(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(
      `invalid ${flag} ${JSON.stringify(value)}: must be a whole number from ${min} to ${max}`,
      2,
    );
  }
  return Number(value);
}
