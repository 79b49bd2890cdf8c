// Whether `run --isolate` can work on this machine, and if not, why and what fixes it, in one line.
// `run --isolate` explains a failure after the fact (no probe on the happy path: it would add to every
// start); `checkIsolation` probes up front, for `doctor`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { findSystemTool } from './find-executable.js';

export interface IsolationTools {
  unshare: string;
  ip: string;
  mount: string;
}

export interface IsolationSupport {
  available: boolean;
  /** Why not, and what to do about it (both one line); absent when available. */
  reason?: string;
  fix?: string;
}

/** `run --isolate` cannot isolate; `exitCode` is what the CLI exits with. */
export class IsolationError extends Error {
  override readonly name = 'IsolationError';

  constructor(
    readonly reason: string,
    readonly fix: string | undefined,
    readonly exitCode = 126,
  ) {
    super(fix ? `cannot isolate: ${reason}; fix: ${fix}` : `cannot isolate: ${reason}`);
  }
}

/** What the kernel and the surroundings say about user namespaces (read from /proc/sys and /). */
export interface SystemFacts {
  platform: string;
  unprivilegedUsernsClone: string | undefined;
  maxUserNamespaces: string | undefined;
  apparmorRestrictsUserns: string | undefined;
  inContainer: boolean;
}

const DOC = 'docs/isolation.md';

/** The tools the namespaces are built with; throws IsolationError naming the missing one. */
export function locateIsolationTools(
  pathVar: string | undefined,
  platform = process.platform,
): IsolationTools {
  if (platform !== 'linux') {
    throw new IsolationError(
      `--isolate needs Linux namespaces (this system is ${platform})`,
      `run the agent in a Linux VM or container whose only network route is the gateway (${DOC})`,
    );
  }
  const packages = { unshare: 'util-linux', ip: 'iproute2', mount: 'mount' } as const;
  const found: Partial<IsolationTools> = {};
  for (const [tool, pkg] of Object.entries(packages) as Array<[keyof IsolationTools, string]>) {
    const path = findSystemTool(tool, pathVar);
    if (!path)
      throw new IsolationError(
        `\`${tool}\` is not installed`,
        `install ${pkg} (e.g. apt-get install ${pkg})`,
      );
    found[tool] = path;
  }
  return found as IsolationTools;
}

export function readSystemFacts(): SystemFacts {
  const sysctl = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  let cgroup = '';
  try {
    cgroup = readFileSync('/proc/1/cgroup', 'utf8');
  } catch {
    // not Linux, or /proc hidden
  }
  return {
    platform: process.platform,
    unprivilegedUsernsClone: sysctl('/proc/sys/kernel/unprivileged_userns_clone'),
    maxUserNamespaces: sysctl('/proc/sys/user/max_user_namespaces'),
    apparmorRestrictsUserns: sysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    inContainer:
      existsSync('/.dockerenv') ||
      existsSync('/run/.containerenv') ||
      /docker|kubepods|containerd|libpod|lxc/.test(cgroup),
  };
}

/**
 * Turns a failed namespace start (unshare's own error output) into a reason and a fix. Kernel
 * settings come first: they explain the most common refusals exactly.
 */
export function explainNamespaceFailure(stderr: string, facts: SystemFacts): IsolationError {
  const said = stderr.trim().split('\n')[0]?.trim() || 'no error message';
  if (facts.unprivilegedUsernsClone === '0') {
    return new IsolationError(
      'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)',
      'sudo sysctl -w kernel.unprivileged_userns_clone=1',
    );
  }
  if (facts.maxUserNamespaces === '0') {
    return new IsolationError(
      'user namespaces are disabled (user.max_user_namespaces=0)',
      'sudo sysctl -w user.max_user_namespaces=15000',
    );
  }
  if (facts.apparmorRestrictsUserns === '1') {
    return new IsolationError(
      'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)',
      'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that allows `userns` for node',
    );
  }
  if (/unrecognized option|invalid option/.test(said)) {
    return new IsolationError(
      `unshare is older than util-linux 2.38 (${said})`,
      'install util-linux 2.38 or newer',
    );
  }
  const container = facts.inContainer
    ? `run the agent's container on a network whose only route is the gateway (${DOC}), or allow user namespaces in it (e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)`
    : undefined;
  if (/mount.*\/proc/.test(said)) {
    return new IsolationError(`cannot mount a private /proc here (${said})`, container ?? `see ${DOC}`);
  }
  return new IsolationError(`cannot create the namespaces (${said})`, container ?? `see ${DOC}`);
}

/** The options that create the bridge's namespaces; the bridge is their process 1. */
export function namespaceArgs(): string[] {
  return [
    '--user',
    '--map-root-user',
    '--net',
    '--mount',
    '--pid',
    '--fork',
    '--mount-proc',
    '--kill-child=SIGKILL',
  ];
}

/**
 * Probes for `doctor`: creates the namespaces as `run --isolate` does, brings the loopback up inside,
 * and nests the agent's user namespace. Never throws.
 */
export async function checkIsolation(
  env: Readonly<Record<string, string | undefined>>,
): Promise<IsolationSupport> {
  let tools: IsolationTools;
  try {
    tools = locateIsolationTools(env['PATH']);
  } catch (err) {
    return unavailable(err as IsolationError);
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const probes = [
    [tools.ip, 'link', 'set', 'lo', 'up'],
    [
      tools.unshare,
      '--user',
      `--map-user=${uid}`,
      `--map-group=${gid}`,
      '--',
      tools.ip,
      'link',
      'show',
      'lo',
    ],
  ];
  const results = await Promise.all(
    probes.map((probe) =>
      runQuietly(tools.unshare, [...namespaceArgs(), '--', ...probe], { PATH: env['PATH'] }),
    ),
  );
  const failed = results.find((r) => !r.ok);
  if (!failed) return { available: true };
  return unavailable(explainNamespaceFailure(failed.stderr, readSystemFacts()));
}

function unavailable(err: IsolationError): IsolationSupport {
  return { available: false, reason: err.reason, ...(err.fix ? { fix: err.fix } : {}) };
}

function runQuietly(
  file: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: cleanEnv(env), timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve({ ok: !err, stderr: String(stderr) || (err?.message ?? '') });
    });
  });
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
