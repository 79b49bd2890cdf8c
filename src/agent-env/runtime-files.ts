// The files some runtimes need to trust the gateway's CA, because they read no variable for it:
// wget (GnuTLS ignores SSL_CERT_FILE; a wgetrc's ca_certificate works) and PHP (its curl and openssl
// extensions read curl.cainfo / openssl.cafile from ini files). Python's sitecustomize ships with
// the package (assets/python). None of these files holds a secret: proxy credentials travel in the
// proxy variables only.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeFiles } from './runtime-env.js';

export interface RuntimeFilesOptions {
  /** A directory of this user's to write into (created 0700 if missing). */
  dir: string;
  /** The packaged assets (`dist/src/agent-env/assets`). */
  assetsDir: string;
  caBundlePath: string;
  baseEnv: Record<string, string | undefined>;
}

export async function writeRuntimeFiles(opts: RuntimeFilesOptions): Promise<RuntimeFiles> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const wgetrc = join(opts.dir, 'wgetrc');
  await writeFile(wgetrc, wgetrcText(opts.caBundlePath, ownWgetrc(opts.baseEnv)), { mode: 0o644 });
  const phpIniDir = join(opts.dir, 'php');
  await mkdir(phpIniDir, { recursive: true, mode: 0o700 });
  await writeFile(join(phpIniDir, 'tameflare.ini'), phpIniText(opts.caBundlePath), { mode: 0o644 });
  return { pythonDir: join(opts.assetsDir, 'python'), wgetrc, phpIniDir };
}

/**
 * WGETRC replaces the user's own ~/.wgetrc (the system wgetrc is still read), so its settings are
 * carried over first; ours come after and win.
 */
function ownWgetrc(env: Record<string, string | undefined>): string {
  const path = env['WGETRC'] ?? join(env['HOME'] ?? homedir(), '.wgetrc');
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function wgetrcText(caBundlePath: string, own: string): string {
  const lines = [
    '# Written by `tameflare run` / `tameflare env`: trust the gateway CA (see docs/agents.md).',
  ];
  if (own.trim() !== '') lines.push('# From your own wgetrc:', own.trimEnd(), '# TameFlare:');
  // wgetrc values run to the end of the line, unquoted.
  lines.push(`ca_certificate = ${caBundlePath}`, 'use_proxy = on', '');
  return lines.join('\n');
}

export function phpIniText(caBundlePath: string): string {
  const quoted = `"${caBundlePath.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return [
    '; Written by `tameflare run` / `tameflare env`: trust the gateway CA (see docs/agents.md).',
    `curl.cainfo = ${quoted}`,
    `openssl.cafile = ${quoted}`,
    '',
  ].join('\n');
}
