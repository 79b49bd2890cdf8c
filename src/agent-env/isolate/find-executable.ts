// Finds a command the way execvp would, so that a missing or non-executable command is reported like
// a plain `run` reports it (127 / 126, one line) before any process is started for it.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type ExecutableLookup =
  | { ok: true; path: string }
  | { ok: false; exitCode: 126 | 127; reason: string };

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export function findExecutable(command: string, pathVar: string | undefined, cwd: string): ExecutableLookup {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    return check(path, command) ?? { ok: true, path };
  }
  let denied: ExecutableLookup | undefined;
  for (const dir of (pathVar ?? DEFAULT_PATH).split(delimiter)) {
    const path = join(dir === '' ? cwd : resolve(cwd, dir), command);
    const problem = check(path, command);
    if (!problem) return { ok: true, path };
    if (problem.exitCode === 126) denied ??= problem;
  }
  return denied ?? { ok: false, exitCode: 127, reason: `command not found: ${command}` };
}

/** undefined when `path` can be executed. */
function check(path: string, command: string): (ExecutableLookup & { ok: false }) | undefined {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return { ok: false, exitCode: 127, reason: `command not found: ${command}` };
  }
  try {
    if (!isFile) throw new Error('not a file');
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return { ok: false, exitCode: 126, reason: `permission denied: ${command}` };
  }
}

/** Looks for a system tool in PATH and in the sbin directories a user's PATH often lacks. */
export function findSystemTool(name: string, pathVar: string | undefined): string | undefined {
  const dirs = [...(pathVar ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!isAbsolute(dir)) continue;
    const path = join(dir, name);
    if (!check(path, name)) return path;
  }
  return undefined;
}
