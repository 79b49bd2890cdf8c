// The compact action event's details are written out by hand on the intake's hot path; the hash chain
// needs them to be exactly canonicalJson of the same object (audit verify re-canonicalises the text).
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { compactDetails } from '../../src/control/gateways/gateway-event.js';

const strings = [
  'allow',
  'require_approval',
  '',
  'quote " and backslash \\',
  'control \u0000 \u001f \n \t',
  'unicode → é 日本 😀',
  'lone surrogate \ud800',
  'line separator \u2028',
];

describe('compactDetails', () => {
  it('is canonicalJson of the same details, for every shape a compact event can take', () => {
    let checked = 0;
    for (const decision of [null, ...strings])
      for (const gateway of ['default', 'gw-2', ...strings])
        for (const trafficId of [1, 42, 2 ** 31, Number.MAX_SAFE_INTEGER])
          for (const code of [undefined, ...strings]) {
            const object: Record<string, unknown> = { decision, gateway, traffic_id: trafficId };
            if (code !== undefined) object.code = code;
            expect(compactDetails(decision, gateway, trafficId, code)).toBe(canonicalJson(object));
            checked++;
          }
    expect(checked).toBe(9 * 10 * 4 * 9);
  });
});
