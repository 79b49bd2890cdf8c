import { describe, expect, it } from 'vitest';
import { pickAgentPort } from './agent-ports.js';

const range = { start: 9444, end: 9447 };

describe('pickAgentPort', () => {
  it('takes the lowest port of the range no agent holds', () => {
    expect(pickAgentPort(new Set(), range, undefined)).toBe(9444);
    expect(pickAgentPort(new Set([9444, 9445]), range, undefined)).toBe(9446);
  });

  it('skips ports the gateway host cannot bind, within what it checked', () => {
    const probe = { ports: [9446], checkedUpTo: 9447 };
    expect(pickAgentPort(new Set(), range, probe)).toBe(9446);
  });

  it('trusts ports beyond what the gateway checked', () => {
    const probe = { ports: [], checkedUpTo: 9445 };
    expect(pickAgentPort(new Set(), range, probe)).toBe(9446);
  });

  it('answers undefined when the range is full', () => {
    expect(pickAgentPort(new Set([9444, 9445, 9446, 9447]), range, undefined)).toBeUndefined();
    expect(pickAgentPort(new Set([9444]), range, { ports: [], checkedUpTo: 9447 })).toBeUndefined();
  });

  it('never leaves the range, even when the gateway lists ports outside it', () => {
    const probe = { ports: [9500], checkedUpTo: 9500 };
    expect(pickAgentPort(new Set(), range, probe)).toBeUndefined();
  });
});
