// `tameflare … | head -1`: when whoever reads stdout goes away, the CLI stops quietly with status 0
// (as `cat` and `git log` do), instead of dying on EPIPE with a stack trace. Real shell pipelines.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  type DaemonProcess,
  minimalEnv,
  REPO_ROOT,
  startDaemonProcess,
} from '../helpers/spawn-daemon.js';
import { cliFor, json, proxyStatus } from './cli-harness.js';

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await startDaemonProcess();
});
afterAll(async () => {
  await daemon?.stop();
});

interface Pipeline {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  exited: () => boolean;
  kill: () => void;
}

/** `bash -o pipefail -c 'tameflare ARGS | READER'`: the status is the CLI's unless it is 0. */
function pipeline(args: string[], reader: string): Pipeline {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('bash', ['-o', 'pipefail', '-c', `${quoted} | ${reader}`], {
    cwd: REPO_ROOT,
    env: minimalEnv({ TAMEFLARE_URL: daemon.controlUrl, TAMEFLARE_DATA_DIR: daemon.dataDir }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      exited = true;
      resolve({ code, stdout, stderr });
    });
  });
  return { done, exited: () => exited, kill: () => child.kill('SIGKILL') };
}

describe('stdout closed by its reader', () => {
  it('a command whose reader is already gone exits 0 without a word', async () => {
    // `true` exits without reading: by the time the CLI has its answer, nobody reads the pipe.
    const r = await pipeline(['connector', 'actions', 'github'], 'true').done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('prints what head wants, then exits 0 without a word', async () => {
    const r = await pipeline(['connector', 'actions', 'github'], 'head -1').done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2);
  });

  it('logs --follow | head -1 ends at the first write after head is gone', async () => {
    const cli = cliFor(daemon);
    const added = json<{ key: string }>(await cli(['agent', 'add', 'piped-bot', '--json']));
    const gw = new URL(daemon.gatewayUrl);
    const follow = pipeline(['logs', '--follow'], 'head -1');
    // Each request becomes a traffic row: the first ones give head its line, the later ones are
    // writes into a pipe nobody reads any more.
    for (let i = 0; i < 200 && !follow.exited(); i++) {
      await proxyStatus(`http://piped-bot:${added.key}@${gw.host}`, 'http://no-connector.invalid/');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Still running after all that traffic: the CLI did not notice that head is gone.
    if (!follow.exited()) follow.kill();
    const r = await follow.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\S.*\n$/);
  });
});
