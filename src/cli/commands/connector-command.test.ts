import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { checkApiTokenFlag, readSecret, secretSource, trimSecret } from './connector-command.js';

function ctxWith(stdin: string | Buffer[], env: Record<string, string> = {}): CliContext & { err: string[] } {
  const err: string[] = [];
  const sink = { write: (s: string) => err.push(s) !== 0 } as unknown as NodeJS.WritableStream;
  return {
    env,
    stdout: sink,
    stderr: sink,
    stdin: Readable.from(typeof stdin === 'string' ? [Buffer.from(stdin)] : stdin),
    version: 'test',
    preloadPath: '/nonexistent/preload.js',
    err,
  };
}

describe('secret flags', () => {
  it('selects exactly one source', () => {
    expect(secretSource({ tokenStdin: true }, true)).toBe('stdin');
    expect(secretSource({ tokenEnv: 'GH_TOKEN' }, true)).toBe('env');
    expect(secretSource({}, false)).toBeUndefined();
    expect(() => secretSource({}, true)).toThrow(/--token-stdin or --token-env/);
    expect(() => secretSource({ tokenStdin: true, tokenEnv: 'X' }, false)).toThrow(/not both/);
    expect(() => secretSource({ tokenEnv: 'ghp_notavariable-name' }, false)).toThrow(/variable name/);
  });

  it('honours --token only when it is a TameFlare API token, never echoing it', () => {
    expect(() => checkApiTokenFlag(undefined)).not.toThrow();
    expect(() => checkApiTokenFlag('tf_pat_abc')).not.toThrow();
    try {
      checkApiTokenFlag('ghp_SECRETVALUE');
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as Error).message).not.toContain('SECRETVALUE');
    }
  });

  it('trims exactly one trailing newline', () => {
    expect(trimSecret('abc\n')).toBe('abc');
    expect(trimSecret('abc\r\n')).toBe('abc');
    expect(trimSecret('abc\n\n')).toBe('abc\n');
    expect(trimSecret(' abc ')).toBe(' abc ');
  });
});

describe('readSecret', () => {
  it('reads stdin to the end, across chunks', async () => {
    const ctx = ctxWith([Buffer.from('ghp_'), Buffer.from('1234\n')]);
    await expect(readSecret(ctx, { tokenStdin: true }, true)).resolves.toBe('ghp_1234');
  });

  it('refuses an empty stdin', async () => {
    await expect(readSecret(ctxWith('\n'), { tokenStdin: true }, true)).rejects.toThrow(/empty/);
    await expect(readSecret(ctxWith(''), { tokenStdin: true }, true)).rejects.toThrow(/empty/);
  });

  it('refuses an oversized stdin', async () => {
    await expect(readSecret(ctxWith('x'.repeat(70_000)), { tokenStdin: true }, true)).rejects.toThrow(
      /longer/,
    );
  });

  it('reads a named variable and refuses a missing one', async () => {
    await expect(
      readSecret(ctxWith('', { MY_TOKEN: 'sk_live_1' }), { tokenEnv: 'MY_TOKEN' }, true),
    ).resolves.toBe('sk_live_1');
    await expect(readSecret(ctxWith(''), { tokenEnv: 'MISSING' }, true)).rejects.toThrow(/MISSING .*not set/);
  });
});
