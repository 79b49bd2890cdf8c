// Prepares the new namespaces from inside, as their (user-namespace) root, before the agent starts:
// the loopback comes up, every address becomes local (so a connection anywhere either reaches a
// bridge listener or is refused at once and counted, never left to time out), the resolver's
// resolv.conf covers the host's, and the data directory is hidden under an empty read-only tmpfs.
// The agent runs later in a nested user namespace without capabilities here, so it can undo none of
// this: the mounts are locked and the routes are not its to change.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import type { BridgeConfig } from './relay-protocol.js';

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

export function setUpNamespace(config: BridgeConfig): void {
  const { ip, mount } = config.tools;
  run(ip, ['link', 'set', 'lo', 'up'], 'cannot bring the loopback interface up');
  run(
    ip,
    ['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', 'local'],
    'cannot route IPv4 to the loopback',
  );
  // Without IPv6 in the kernel there is nothing to route: not an error.
  tryRun(ip, ['-6', 'route', 'add', 'local', '::/0', 'dev', 'lo', 'table', 'local']);
  // With no /etc/resolv.conf at all, resolvers already default to 127.0.0.1.
  if (existsSync('/etc/resolv.conf')) {
    run(mount, ['--bind', config.resolvConf, '/etc/resolv.conf'], 'cannot cover /etc/resolv.conf');
  }
  for (const dir of config.hide) {
    if (!isDirectory(dir)) continue;
    run(mount, ['-t', 'tmpfs', '-o', 'ro,mode=0755,size=16k', 'tameflare-hidden', dir], `cannot hide ${dir}`);
  }
}

function run(file: string, args: string[], what: string): void {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8').trim().split('\n')[0];
    throw new SetupError(`${what} (${stderr || (err as Error).message})`);
  }
}

function tryRun(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
