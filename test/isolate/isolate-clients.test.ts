// `tameflare run --isolate` with real clients, through the spawned daemon to a local HTTPS
// "api.github.com": proxy-aware and proxy-unaware clients are all intercepted with the real
// credential, and anything else (another port, UDP) is refused at once and shows up as a bypass
// attempt in the gateway's metrics, its traffic log and `tameflare logs`.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../cli/cli-harness.js';
import { AGENT, skipReason, support, useWorld } from './isolate-harness.js';

const DUMMY = 'dummy-token-held-by-the-agent';

const world = useWorld();

async function isolated(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return world().cli(['run', '--isolate', '--agent', AGENT, '--', ...args], { cwd: world().work });
}

async function ok(args: string[]): Promise<string> {
  const r = await isolated(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

function seenWithToken(marker: string): void {
  const hit = world().api.seen.find((s) => s.url.includes(marker));
  expect(hit, `the upstream never saw ${marker}`).toBeDefined();
  expect(hit!.headers.authorization).toBe(`Bearer ${world().token}`);
  expect(JSON.stringify(hit!.rawHeaders)).not.toContain(DUMMY);
}

describe.skipIf(!support.available)(`run --isolate: clients${skipReason}`, () => {
  it('curl with the proxy variables', async () => {
    const out = await ok([
      'curl',
      '-sS',
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      'https://api.github.com/repos/octo/hello?via=curl-proxy',
    ]);
    expect(JSON.parse(out)).toMatchObject({ upstream: 'api.github.com' });
    seenWithToken('via=curl-proxy');
  });

  it("curl --noproxy '*' (resolver and port 443 inside)", async () => {
    const out = await ok([
      'curl',
      '-sS',
      '--noproxy',
      '*',
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      'https://api.github.com/repos/octo/hello?via=curl-noproxy',
    ]);
    expect(JSON.parse(out)).toMatchObject({ upstream: 'api.github.com' });
    seenWithToken('via=curl-noproxy');
  });

  it('python3 http.client straight to api.github.com:443', async () => {
    const py = [
      'import http.client, ssl',
      "c = http.client.HTTPSConnection('api.github.com', 443, context=ssl.create_default_context())",
      `c.request('GET', '/repos/octo/hello?via=python-http-client', headers={'Authorization': 'token ${DUMMY}'})`,
      'print(c.getresponse().status)',
    ].join('\n');
    expect((await ok(['python3', '-c', py])).trim()).toBe('200');
    seenWithToken('via=python-http-client');
  });

  it('node https.request with its own agent', async () => {
    const js = `const https = require('node:https');
const agent = new https.Agent({ keepAlive: false });
https.request({ host: 'api.github.com', port: 443, path: '/repos/octo/hello?via=node-own-agent', agent,
  headers: { authorization: 'Bearer ${DUMMY}' } }, (res) => { console.log(res.statusCode); res.resume(); })
  .on('error', (e) => { console.error(e.message); process.exit(1); }).end();`;
    expect((await ok(['node', '-e', js])).trim()).toBe('200');
    seenWithToken('via=node-own-agent');
  });

  it('Java HttpClient told to use no proxy at all', async (ctx) => {
    // The single-file launcher compiles the source, so it needs a JDK.
    if (spawnSync('javac', ['-version']).status !== 0)
      ctx.skip('no JDK here (apt-get install default-jdk-headless)');
    const source = `import java.net.URI; import java.net.http.*;
public class NoProxy { public static void main(String[] a) throws Exception {
  HttpClient c = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
  HttpRequest r = HttpRequest.newBuilder(URI.create("https://api.github.com/repos/octo/hello?via=java-no-proxy"))
    .header("Authorization", "Bearer ${DUMMY}").build();
  System.out.println(c.send(r, HttpResponse.BodyHandlers.ofString()).statusCode()); } }`;
    writeFileSync(join(world().work, 'NoProxy.java'), source);
    const out = await ok(['java', 'NoProxy.java']);
    expect(out.trim().split('\n').at(-1)).toBe('200');
    seenWithToken('via=java-no-proxy');
  });

  it('plain HTTP: by Host on port 80 inside, and through the proxy variables (absolute URL)', async () => {
    await ok(['curl', '-sS', '--noproxy', '*', 'http://plain.test/a?via=plain-by-host']);
    await ok(['curl', '-sS', 'http://plain.test/a?via=plain-by-proxy']);
    for (const marker of ['via=plain-by-host', 'via=plain-by-proxy']) {
      const hit = world().plain.seen.find((s) => s.url.includes(marker));
      expect(hit?.headers.authorization, marker).toBe(`Bearer ${world().plainToken}`);
    }
  });

  it("the gateway's refusal reaches a plain-HTTP client as problem+json; a TLS client is cut", async () => {
    const body = await ok(['curl', '-sS', '--noproxy', '*', 'http://not-covered.test/']);
    expect(JSON.parse(body)).toMatchObject({ status: 403, code: 'connector_not_found' });
    const tls = await isolated(['curl', '-sS', '--noproxy', '*', 'https://not-covered.test/']);
    expect(tls.code).not.toBe(0);
  });

  it('a TCP connect to another port and a UDP send are refused at once, and counted', async () => {
    const js = `const net = require('node:net'); const dgram = require('node:dgram');
(async () => {
  const tcp = await new Promise((r) => { const s = net.connect(5432, '10.20.30.40'); s.on('connect', () => { s.destroy(); r('connected'); }); s.on('error', (e) => r(e.code)); });
  // The refusal (ICMP port unreachable) surfaces on a later operation: keep sending until it does.
  const udp = await new Promise((r) => { const u = dgram.createSocket('udp4'); let timer;
    u.on('error', (e) => { clearInterval(timer); u.close(); r(e.code); });
    u.connect(9999, '10.20.30.40', () => { let n = 0; timer = setInterval(() => {
      if (++n > 50) { clearInterval(timer); u.close(); r('not refused'); } else u.send('x'); }, 20); }); });
  console.log(tcp, udp);
})();`;
    expect((await ok(['node', '-e', js])).trim()).toBe('ECONNREFUSED ECONNREFUSED');

    const metrics = await eventually(
      async () => (await fetch(`${world().daemon.gatewayUrl}/metrics`)).text(),
      (text) => /tameflare_gateway_bypass_attempts_total\{protocol="udp"\} [1-9]/.test(text),
      'bypass metrics',
    );
    expect(metrics).toMatch(/tameflare_gateway_bypass_attempts_total\{protocol="tcp"\} [1-9]/);
    expect(metrics).toMatch(
      /tameflare_gateway_requests_total\{decision="deny",code="bypass_attempt"\} [1-9]/,
    );

    // The gateway's own traffic row carries the code; `logs` (the control plane's copy) shows the row.
    const rows = await eventually(
      async () =>
        execFileSync(
          'sqlite3',
          [
            '-json',
            join(world().daemon.dataDir, 'gateway.db'),
            "SELECT agent, method, decision, status, reason FROM traffic_log WHERE reason LIKE 'bypass_attempt:%'",
          ],
          { encoding: 'utf8' },
        ),
      (out) => out.includes('"UDP"') && out.includes('"TCP"'),
      'bypass rows in the traffic log',
    );
    for (const row of JSON.parse(rows) as Array<Record<string, unknown>>) {
      expect(row).toMatchObject({ agent: AGENT, decision: 'deny', status: 403 });
      expect(row['reason']).toMatch(/^bypass_attempt: (TCP|UDP) .* refused inside the isolated namespace/);
    }
    type Entry = { agent: string; decision: string; method: string; reason: string | null };
    await eventually(
      async () => {
        const r = await world().cli(['logs', '--last', '50', '--json']);
        return r.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Entry);
      },
      (list) =>
        ['TCP', 'UDP'].every((m) =>
          list.some(
            (e) =>
              e.method === m &&
              e.agent === AGENT &&
              e.decision === 'deny' &&
              /refused inside the isolated namespace/.test(e.reason ?? ''),
          ),
        ),
      'bypass rows in `tameflare logs`',
    );
    const table = await world().cli(['logs', '--last', '50']);
    expect(table.stdout).toMatch(/UDP \*:\*/);
  });
});
