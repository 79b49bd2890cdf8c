// A client that does not trust the gateway's CA (issue 10 item 5): the alert it sends after our
// ServerHello is counted in /metrics, recorded as a traffic row with its own code, and logged once
// per agent and host with the fix, however many times the client retries.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGatewayHarness } from '../helpers/gateway-harness.js';
import { curl } from '../helpers/run-client.js';
import { createTestCa } from '../helpers/test-ca.js';

let h: GatewayHarness;
let otherCa: string;
beforeAll(async () => {
  h = await startGatewayHarness();
  otherCa = join(h.dir, 'not-our-ca.pem');
  writeFileSync(otherCa, (await createTestCa()).certPem);
});
afterAll(async () => {
  await h?.close();
});

describe('an agent that rejects the gateway certificate', () => {
  it('is counted, recorded with tls_certificate_rejected and logged once with the fix', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await curl([
        '-x',
        h.proxyUrl('bot'),
        '--cacert',
        otherCa,
        'https://api.github.com/repos/octo/hello',
      ]);
      expect(r.status, r.stderr).toBe(0); // no HTTP answer: the handshake failed
      expect(r.stderr).toMatch(/certificate/i);
    }
    const rows = await h.waitForRows((rs) => rs.length >= 2, "error = 'tls_certificate_rejected'");
    expect(rows[0]).toMatchObject({
      agent: 'bot',
      method: 'TLS',
      host: 'api.github.com',
      decision: 'deny',
      error: 'tls_certificate_rejected',
    });
    expect(rows[0]!.reason).toContain('TLS alert unknown_ca');
    const metrics = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
    expect(metrics).toMatch(/tameflare_gateway_tls_rejected_total\{alert="unknown_ca"\} 2/);
    const warnings = h.logs.filter((l) => l.includes('tls_certificate_rejected'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('does not trust the TameFlare CA');
  });

  it('a client that trusts the CA leaves no such row', async () => {
    const r = await curl([
      '-x',
      h.proxyUrl('bot'),
      '--cacert',
      h.caFile,
      'https://api.github.com/repos/octo/hello',
    ]);
    expect(r.status, r.stderr).toBe(200);
    expect(h.rows("error = 'tls_certificate_rejected'")).toHaveLength(2);
  });
});
