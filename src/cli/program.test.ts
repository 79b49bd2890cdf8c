import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './cli-context.js';
import { buildProgram } from './program.js';

function context(): { ctx: CliContext; out: () => string } {
  let text = '';
  const stdout = new PassThrough();
  stdout.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  const ctx: CliContext = {
    env: {},
    stdout,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    version: '0.0.0-test',
    preloadPath: '/nonexistent/preload.js',
  };
  return { ctx, out: () => text };
}

function leaves(cmd: Command, path: string[] = []): [string, Command][] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [[path.join(' '), cmd]];
  return subs.flatMap((c) => leaves(c, [...path, c.name()]));
}

describe('the command line', () => {
  it('shows an example in the --help of every command', () => {
    const { ctx, out } = context();
    const program = buildProgram(ctx, () => undefined);
    const all = leaves(program);
    expect(all.map(([name]) => name)).toEqual(
      expect.arrayContaining(['init', 'serve', 'status', 'version', 'systemd-unit', 'prune']),
    );
    for (const [name, cmd] of all) {
      const before = out().length;
      cmd.outputHelp();
      expect(out().slice(before), name).toMatch(/Examples?:\n {2}\$ tameflare /);
    }
  });
});
