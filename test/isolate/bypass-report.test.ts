// The gateway's side of bypass reporting, with the relay's own code sending: a report is recorded
// under the agent whose credentials carry it (and only with valid ones), counted in /metrics by
// protocol, and answered with the stable code; a malformed report is a bad request, not a bypass.
// Needs no namespaces, so it runs everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BypassReporter } from '../../src/agent-env/isolate/bypass-reporter.js';
import { gatewayFromProxyUrl, openGatewayTunnel } from '../../src/agent-env/isolate/gateway-tunnel.js';
import {
  BYPASS_REPORT_HEADER,
  BYPASS_REPORT_HOST,
  BYPASS_REPORT_PORT,
  formatBypassReport,
  parseBypassReport,
} from '../../src/wire/bypass-report.js';
import { type GatewayHarness, startGatewayHarness } from '../helpers/gateway-harness.js';

let h: GatewayHarness;

beforeAll(async () => {
  h = await startGatewayHarness();
});

afterAll(async () => {
  await h?.close();
});

async function bypassCount(protocol: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
  const m = new RegExp(`tameflare_gateway_bypass_attempts_total\\{protocol="${protocol}"\\} (\\d+)`).exec(
    text,
  );
  return m ? Number(m[1]) : 0;
}

async function report(proxyUrl: string, header: string): Promise<{ status: number; body: string }> {
  const answer = await openGatewayTunnel(
    gatewayFromProxyUrl(proxyUrl),
    BYPASS_REPORT_HOST,
    BYPASS_REPORT_PORT,
    {
      [BYPASS_REPORT_HEADER]: header,
    },
  );
  const body = await new Promise<string>((resolve) => {
    let text = answer.rest.toString('utf8');
    answer.socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    answer.socket.on('end', () => {
      answer.socket.destroy();
      resolve(text);
    });
    answer.socket.on('error', () => resolve(text));
  });
  return { status: answer.status, body };
}

describe('bypass reports at the gateway', () => {
  it('records the attempt under the reporting agent, counts it, answers bypass_attempt', async () => {
    const before = await bypassCount('tcp');
    const r = await report(
      h.proxyUrl('bot'),
      formatBypassReport({
        protocol: 'tcp',
        count: 3,
        destination: '10.0.0.1:5432',
        detail: 'TCP connection refused',
      }),
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'bypass_attempt', agent: 'bot' });
    const [row] = await h.waitForRows((rows) => rows.length === 1, "method = 'TCP' AND host = '10.0.0.1'");
    expect(row).toMatchObject({
      agent: 'bot',
      method: 'TCP',
      path: '10.0.0.1:5432',
      decision: 'deny',
      status: 403,
      reason: 'bypass_attempt: TCP connection refused (3 attempts)',
    });
    expect(await bypassCount('tcp')).toBe(before + 3);
  });

  it("cannot be made in another agent's name: a wrong key is refused and nothing is counted", async () => {
    const before = await bypassCount('udp');
    const forged = h.proxyUrl('watcher').replace('watcher:', 'bot:'); // bot's name, watcher's key
    const r = await report(
      forged,
      formatBypassReport({ protocol: 'udp', count: 1, destination: null, detail: 'forged' }),
    );
    expect(r.status).toBe(407);
    expect(h.rows("reason LIKE 'bypass_attempt:%forged%'")).toEqual([]);
    expect(await bypassCount('udp')).toBe(before);
  });

  it('a malformed report is a bad request, not a bypass', async () => {
    const before = await bypassCount('tcp');
    for (const header of ['not json', '{"protocol":"icmp","count":1,"destination":null,"detail":"x"}']) {
      const r = await report(h.proxyUrl('bot'), header);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'bad_request' });
    }
    expect(await bypassCount('tcp')).toBe(before);
  });

  it('the relay folds repeated attempts into one pending report', async () => {
    const reporter = new BypassReporter(gatewayFromProxyUrl(h.proxyUrl('bot')));
    const sighting = { protocol: 'udp' as const, destination: '10.9.9.9:53', detail: 'folded' };
    for (let i = 0; i < 5; i++) reporter.add({ ...sighting, count: 2 });
    await reporter.flush(10_000);
    const rows = await h.waitForRows((found) => found.length >= 2, "reason LIKE 'bypass_attempt: folded%'");
    // The first goes at once; the four added while it was in flight travel together.
    expect(rows.map((r) => r.reason)).toEqual([
      'bypass_attempt: folded (2 attempts)',
      'bypass_attempt: folded (8 attempts)',
    ]);
    expect(reporter.sent).toBe(2);
  });
});

describe('the report header', () => {
  it('round-trips, escapes what a header cannot carry, refuses what is out of bounds', () => {
    const report = { protocol: 'tcp' as const, count: 1, destination: '[::1]:53', detail: 'naïve' };
    const header = formatBypassReport(report);
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(parseBypassReport(header)).toEqual(report);
    for (const bad of [
      { ...report, count: 0 },
      { ...report, count: 1.5 },
      { ...report, destination: 'a b' },
      { ...report, detail: 'line\nbreak' },
      { ...report, detail: 'x'.repeat(201) },
    ]) {
      expect(parseBypassReport(JSON.stringify(bad))).toBeUndefined();
    }
    expect(parseBypassReport(['a', 'b'])).toBeUndefined();
  });
});
