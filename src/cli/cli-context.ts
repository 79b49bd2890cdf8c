// What every command gets from main.ts: the environment (already read once), output streams and the
// version. Commands never touch process.env or process.exit themselves.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Config, ConfigSources } from '../config/config.js';
import { ConfigError, type FlagValues, resolveConfig } from '../config/resolve-config.js';
import { dataDirPaths, resolveDataDir } from '../daemon/data-dir-paths.js';
import { CliError } from './cli-error.js';

export interface CliContext {
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  version: string;
  /** Path of the built preload module, for `run`. */
  preloadPath: string;
}

export function print(ctx: CliContext, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Resolves the daemon configuration: flags > env > data dir's config.yaml > defaults. */
export function loadConfig(ctx: CliContext, flags: FlagValues): { config: Config; sources: ConfigSources } {
  const file = readConfigYaml(dataDirPaths(resolveDataDir(flags.dataDir, ctx.env)).configYaml);
  try {
    return resolveConfig({ flags, env: ctx.env, file });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}

function readConfigYaml(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, 2);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError(`invalid YAML in ${path}: ${(err as Error).message.split('\n')[0]}`, 2);
  }
  if (doc === null || doc === undefined) return undefined;
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new CliError(`${path} must be a mapping of settings`, 2);
  return doc as Record<string, unknown>;
}
