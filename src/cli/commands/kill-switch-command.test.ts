import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { type KillSwitchFlags, parseKillSwitchFlags } from './kill-switch-command.js';

function usageError(flags: KillSwitchFlags): string {
  try {
    parseKillSwitchFlags(flags);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as CliError).message;
  }
  throw new Error(`accepted ${JSON.stringify(flags)}`);
}

describe('parseKillSwitchFlags', () => {
  it('activates everything by default, with an optional reason', () => {
    expect(parseKillSwitchFlags({ activate: true })).toEqual({
      op: 'activate',
      scope: 'all',
      reason: undefined,
    });
    expect(parseKillSwitchFlags({ activate: true, scope: 'agent:bot', reason: 'incident' })).toEqual({
      op: 'activate',
      scope: 'agent:bot',
      reason: 'incident',
    });
  });

  it('deactivates one scope, or every scope when none is given', () => {
    expect(parseKillSwitchFlags({ deactivate: true, scope: 'connector:github' })).toEqual({
      op: 'deactivate',
      scope: 'connector:github',
    });
    expect(parseKillSwitchFlags({ deactivate: true })).toEqual({ op: 'deactivate', scope: undefined });
  });

  it('shows the status', () => {
    expect(parseKillSwitchFlags({ status: true })).toEqual({ op: 'status' });
  });

  it('requires exactly one mode', () => {
    expect(usageError({})).toMatch(/choose one of --activate, --deactivate or --status/);
    expect(usageError({ activate: true, deactivate: true })).toMatch(
      /--activate and --deactivate cannot be combined/,
    );
    expect(usageError({ activate: true, status: true, deactivate: true })).toMatch(/cannot be combined/);
  });

  it('refuses flags that mean nothing for the mode', () => {
    expect(usageError({ deactivate: true, reason: 'x' })).toMatch(/--reason/);
    expect(usageError({ status: true, scope: 'all' })).toMatch(/--scope/);
  });

  it.each(['agent:', 'connector', 'everything', 'agent:a b', 'user:x'])('refuses the scope %j', (scope) => {
    expect(usageError({ activate: true, scope })).toMatch(/invalid --scope/);
  });
});
