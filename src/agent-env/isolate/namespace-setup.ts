// Prepares the new namespaces from inside, as their (user-namespace) root, before the agent starts:
// the loopback comes up, every address becomes local (so a connection anywhere either reaches a
// bridge listener or is refused at once and counted, never left to time out), the resolver's
// resolv.conf covers the host's, and the data directory is covered by a read-only tmpfs holding only
// the files the agent's trust variables name (the CA, the bundle, Java's trust store): keys, tokens
// and databases are gone. The agent runs later in a nested user namespace without capabilities here,
// so it can undo none of this: the mounts are locked and the routes are not its to change.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeConfig } from './relay-protocol.js';

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/**
 * The network and the mounts are independent: both are prepared at once, each in its own order, and
 * `afterNetwork` (the listeners) starts as soon as the loopback is up.
 */
export async function setUpNamespace(config: BridgeConfig, afterNetwork: () => Promise<void>): Promise<void> {
  const { ip, mount } = config.tools;
  await Promise.all([setUpNetwork(ip).then(afterNetwork), setUpMounts(mount, config)]);
}

/**
 * One `ip` for the three steps. -force goes on past a failure and names the failed line: lines 1 and
 * 2 must succeed; line 3 fails only where the kernel has no IPv6, which then has no route at all.
 */
async function setUpNetwork(ip: string): Promise<void> {
  const batch =
    'link set lo up\nroute add local 0.0.0.0/0 dev lo table local\nroute add local ::/0 dev lo table local\n';
  const { ok, stderr } = await run(ip, ['-force', '-batch', '-'], { input: batch });
  const failed = [...stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => m[1]);
  if (ok || (failed.length > 0 && failed.every((line) => line === '3'))) return;
  const what = failed.includes('1')
    ? 'cannot bring the loopback interface up'
    : 'cannot route IPv4 to the loopback';
  throw new SetupError(`${what} (${stderr.trim().split('\n')[0] || `${ip} failed`})`);
}

async function setUpMounts(mount: string, config: BridgeConfig): Promise<void> {
  // With no /etc/resolv.conf at all, resolvers already default to 127.0.0.1.
  if (existsSync('/etc/resolv.conf')) {
    await mustRun(mount, ['--bind', config.resolvConf, '/etc/resolv.conf'], 'cannot cover /etc/resolv.conf');
  }
  if (isDirectory(config.dataDir)) await hideDataDir(mount, config.dataDir);
}

/** What of the data directory stays visible: public certificates only, never a key or a database. */
const VISIBLE = [/^ca\.crt$/, /^ca-bundle\.pem$/, /^java-truststore-[0-9a-f]+\.p12$/];
const MAX_VISIBLE_BYTES = 4 * 1024 * 1024;

async function hideDataDir(mount: string, dir: string): Promise<void> {
  const kept: Array<[string, Buffer]> = [];
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (!VISIBLE.some((re) => re.test(name))) continue;
    try {
      const content = readFileSync(join(dir, name));
      total += content.length;
      if (total <= MAX_VISIBLE_BYTES) kept.push([name, content]);
    } catch {
      // unreadable for this user: it stays hidden like the rest
    }
  }
  const size = Math.max(64 * 1024, total * 2);
  await mustRun(
    mount,
    ['-t', 'tmpfs', '-o', `mode=0755,size=${size}`, 'tameflare-data-dir', dir],
    `cannot hide ${dir}`,
  );
  // The copies go into the new, empty tmpfs, never into the directory itself: check it is there.
  if (readdirSync(dir).length > 0) throw new SetupError(`cannot hide ${dir} (no empty tmpfs over it)`);
  for (const [name, content] of kept) writeFileSync(join(dir, name), content, { mode: 0o444 });
  // A bind remount changes only this mount point's flags (a plain remount would re-apply the tmpfs
  // options, which an unprivileged user namespace may not).
  await mustRun(mount, ['-o', 'remount,bind,ro', dir], `cannot make the hidden ${dir} read-only`);
}

/** Runs a tool; resolves with its stderr whatever its exit status (rejects only if it cannot start). */
function run(
  file: string,
  args: string[],
  opts: { input?: string } = {},
): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string')
        reject(new SetupError(`cannot run ${file}: ${err.message}`));
      else resolve({ ok: !err, stderr: String(stderr) });
    });
    child.stdin?.on('error', () => {}); // the tool may exit without reading it (EPIPE)
    child.stdin?.end(opts.input);
  });
}

async function mustRun(file: string, args: string[], what: string): Promise<void> {
  const r = await run(file, args);
  if (!r.ok) throw new SetupError(`${what} (${r.stderr.trim().split('\n')[0] || `${file} failed`})`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
