import { describe, expect, it } from 'vitest';
import { describePortError, portRangeHealth } from './gateway-link-report.js';

describe("the gateway's port range in /health", () => {
  it('counts free ports of the range and names agents left without one', () => {
    const status = {
      open: [9444],
      errors: { '9445': 'EADDRINUSE' },
      held: [9444, 9445, 9500],
      pendingAgents: ['c'],
    };
    expect(portRangeHealth(status, { start: 9444, end: 9445 })).toEqual({
      start: 9444,
      end: 9445,
      free: 0,
      agents_without_port: ['c'],
      exhausted: true,
      errors: { '9445': describePortError('EADDRINUSE') },
    });
    expect(portRangeHealth({ ...status, pendingAgents: [] }, { start: 9444, end: 9453 })).toMatchObject({
      free: 8,
      exhausted: false,
    });
  });

  it('explains bind errors an operator can act on', () => {
    expect(describePortError('EADDRINUSE')).toMatch(/another program on the gateway host/);
    expect(describePortError('EACCES')).toMatch(/may not listen/);
    expect(describePortError('EWHATEVER')).toBe('EWHATEVER');
  });
});
