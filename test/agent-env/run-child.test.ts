// runChild with real processes: exit codes, death by signal, start failures, and signals sent to a
// supervising process reaching its child (the supervisor is a separate node process running the
// built module, so that signalling it cannot disturb the test runner).
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildStartError, exitCodeFor, runChild } from '../../src/agent-env/run-child.js';
import { assertBuilt, minimalBaseEnv, RUN_CHILD_PATH, runCaptured } from './helpers.js';

const PATH_ONLY = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'tf-run-child-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runChild', () => {
  it('resolves with the exit code', async () => {
    const result = await runChild('sh', ['-c', 'exit 7'], PATH_ONLY, { stdio: 'ignore' });
    expect(result).toEqual({ exitCode: 7, signal: null });
    expect(exitCodeFor(result)).toBe(7);
  });

  it('reports death by signal as 128 + signal number', async () => {
    const result = await runChild('sh', ['-c', 'kill -TERM $$'], PATH_ONLY, { stdio: 'ignore' });
    expect(result).toEqual({ exitCode: 143, signal: 'SIGTERM' });
    expect(exitCodeFor(result)).toBe(143);
  });

  it('passes arguments verbatim (no shell) and exactly the given environment', async () => {
    const script = 'test "$1" = "a b;\\$x" && test "$TF_ONLY" = yes && test -z "$HOME"';
    const result = await runChild(
      'sh',
      ['-c', script, 'sh', 'a b;$x'],
      { ...PATH_ONLY, TF_ONLY: 'yes' },
      {
        stdio: 'ignore',
      },
    );
    expect(result.exitCode).toBe(0);
  });

  it('a missing command is "command not found" with exit code 127', async () => {
    const error = await runChild('tf-no-such-command', [], PATH_ONLY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChildStartError);
    expect((error as ChildStartError).message).toBe('command not found: tf-no-such-command');
    expect((error as ChildStartError).exitCode).toBe(127);
  });

  it('a file that is not executable gives exit code 126', async () => {
    const file = join(dir, 'not-executable');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o644);
    const error = await runChild(file, [], PATH_ONLY).catch((e: unknown) => e);
    expect((error as ChildStartError).exitCode).toBe(126);
    expect((error as ChildStartError).message).toBe(`permission denied: ${file}`);
  });

  it('leaves no signal handlers behind', async () => {
    const before = process.listenerCount('SIGTERM');
    await runChild('sh', ['-c', 'exit 0'], PATH_ONLY, { stdio: 'ignore' });
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('signals sent to the supervisor reach the child', () => {
  // The child traps each signal with its own exit code and announces when its traps are set. The
  // signal is sent the moment it does, which is also the moment the supervisor has just spawned it.
  const traps: Record<string, number> = { USR1: 3, INT: 4, USR2: 5, HUP: 6, QUIT: 7 };
  const childScript = `${Object.entries(traps)
    .map(([name, code]) => `trap "exit ${code}" ${name};`)
    .join(' ')} echo ready; while :; do sleep 0.02; done`;
  const supervisor = `
    import { exitCodeFor, runChild } from ${JSON.stringify(pathToFileURL(RUN_CHILD_PATH).href)};
    const result = await runChild('sh', ['-c', ${JSON.stringify(childScript)}], process.env);
    console.log(JSON.stringify(result));
    process.exit(exitCodeFor(result));
  `;

  async function superviseAndSignal(signal: NodeJS.Signals) {
    // stdin is not a terminal here, so keyboard signals are forwarded too. Detached, so that a failed
    // run can be cleaned up as a group.
    const proc: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', supervisor], {
      env: PATH_ONLY,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    try {
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        proc.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('ready')) resolve();
        });
      });
      proc.kill(signal);
      const code = await exited;
      return { code, result: JSON.parse(stdout.split('\n')[1]!) as unknown };
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
    }
  }

  it.each([
    ['SIGUSR1', 3],
    ['SIGINT', 4],
    ['SIGUSR2', 5],
    ['SIGHUP', 6],
    ['SIGQUIT', 7],
  ] as const)('%s is forwarded (the child exits through its trap)', async (signal, code) => {
    await expect(superviseAndSignal(signal)).resolves.toEqual({
      code,
      result: { exitCode: code, signal: null },
    });
  });

  it('SIGTERM is forwarded; a child that dies of it is reported as 143', async () => {
    await expect(superviseAndSignal('SIGTERM')).resolves.toEqual({
      code: 143,
      result: { exitCode: 143, signal: 'SIGTERM' },
    });
  });
});

describe('on a terminal', () => {
  // python3's pty module gives the supervisor a real controlling terminal; typing Ctrl-C there makes
  // the kernel signal the whole foreground process group, supervisor and child alike.
  const ptyDriver = [
    'import os, pty, sys',
    'pid, fd = pty.fork()',
    'if pid == 0: os.execvp(sys.argv[1], sys.argv[1:])',
    "buf, sent = b'', False",
    'while True:',
    '    try: data = os.read(fd, 1024)',
    '    except OSError: break',
    '    if not data: break',
    '    buf += data',
    "    if b'ready' in buf and not sent: os.write(fd, b'\\x03'); sent = True",
    'os.waitpid(pid, 0)',
    "sys.stdout.write(buf.decode().replace('\\r', ''))",
  ].join('\n');
  const counter = `let n = 0; process.on('SIGINT', () => n++); console.log('ready');
    setTimeout(() => { console.log('SIGINTs seen: ' + n); process.exit(0); }, 500);`;
  const supervisor = `
    import { runChild } from ${JSON.stringify(pathToFileURL(RUN_CHILD_PATH).href)};
    const result = await runChild(process.execPath, ['-e', ${JSON.stringify(counter)}], process.env);
    console.log('supervisor survived, child exit ' + result.exitCode);
  `;

  it('Ctrl-C reaches the child once, not once from the terminal and once more from us', async () => {
    const out = await runCaptured(
      'python3',
      ['-c', ptyDriver, process.execPath, '--input-type=module', '-e', supervisor],
      { ...PATH_ONLY, ...minimalBaseEnv() },
    );
    expect(out.stdout).toContain('SIGINTs seen: 1\n');
    expect(out.stdout).toContain('supervisor survived, child exit 0');
  });
});
