import { describe, expect, it } from 'vitest';
import type { ConfigApplyAnswer } from '../../wire/config.js';
import { applyText } from './config-command.js';

const base: ConfigApplyAnswer = {
  dry_run: false,
  prune: false,
  create: [],
  update: [],
  delete: [],
  kept: [],
  unchanged: 0,
  new_agent_keys: {},
  credentials_missing: [],
};

describe('applyText', () => {
  it('prints + create, ~ update (with short values), - delete, kept, counts and new keys', () => {
    const text = applyText({
      ...base,
      create: [{ kind: 'agent', name: 'new-bot' }],
      update: [
        {
          kind: 'agent',
          name: 'pay-bot',
          changes: { mode: { from: 'enforce', to: 'monitor' }, labels: { from: {}, to: { env: 'prod' } } },
        },
      ],
      delete: [{ kind: 'policy', name: 'old' }],
      kept: [{ kind: 'rate_limit', name: '*/*/github.*' }],
      unchanged: 7,
      new_agent_keys: { 'new-bot': 'tf_agent_abc' },
      credentials_missing: ['stripe'],
    });
    expect(text.split('\n')).toEqual([
      '+ agent new-bot',
      '~ agent pay-bot: mode "enforce" → "monitor", labels',
      '- policy old',
      '= kept, not in the file (--prune removes them): rate_limit */*/github.*',
      'create 1, update 1, delete 1; 7 unchanged',
      '',
      'new agent keys (shown once; store them now):',
      '  new-bot  tf_agent_abc',
      'connector stripe has no credential here: tameflare connector set-token stripe --token-stdin',
      '',
    ]);
  });

  it('says when nothing changes, and that a dry run changed nothing', () => {
    expect(applyText({ ...base, unchanged: 3 })).toBe('nothing to change (3 unchanged)\n');
    const dry = applyText({ ...base, dry_run: true, create: [{ kind: 'agent', name: 'x' }] });
    expect(dry).toContain('would create 1, would update 0, would delete 0; 0 unchanged');
    expect(dry).toContain('dry run: nothing was changed');
  });
});
