// Issue 9 item 2, the operator's side: `allow_cleartext` travels from the CLI and the API through the
// control plane's connector metadata and the snapshot to the gateway, survives config export/apply,
// and is refused for connectors whose services speak only HTTPS. The spawned daemon (both roles), the
// built CLI, and a recording plain-HTTP upstream.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, eventually, json } from '../cli/cli-harness.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';
import { onlyResponse, problemOf, rawExchange } from './raw-http.js';

const LEGACY_SECRET = `legacy_PLANTED_${Date.now().toString(36)}0123456789`;
const STRICT_SECRET = `strict_PLANTED_${Date.now().toString(36)}0123456789`;
let work: string;
let upstream: FakeUpstream;
let server: RunningServer<import('node:http').Server>;
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let auth: string;
let gatewayPort: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-cleartext-'));
  upstream = createFakeUpstream('plain');
  server = await startHttpServer(upstream.handler);
  daemon = await startDaemonProcess({
    args: [
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      ...['legacy.test', 'strict.test'].flatMap((h) => ['--connect-to', `${h}:80:127.0.0.1:${server.port}`]),
    ],
  });
  gatewayPort = Number(new URL(daemon.gatewayUrl).port);
  cli = cliFor(daemon);
  const agent = json<{ key: string }>(await cli(['agent', 'add', 'bot', '--json']));
  auth = `Basic ${Buffer.from(`bot:${agent.key}`).toString('base64')}`;
  const legacy = await cli(
    [
      'connector',
      'add',
      'generic',
      '--name',
      'legacy',
      '--domains',
      'legacy.test',
      '--allow-cleartext',
      '--token-stdin',
    ],
    { input: LEGACY_SECRET },
  );
  expect(legacy.code, legacy.stderr).toBe(0);
  expect(legacy.stdout).toContain('injected over plain http:// too');
  const strict = await cli(
    ['connector', 'add', 'generic', '--name', 'strict', '--domains', 'strict.test', '--token-stdin'],
    { input: STRICT_SECRET },
  );
  expect(strict.code, strict.stderr).toBe(0);
  for (const c of ['legacy', 'strict']) {
    expect((await cli(['permissions', 'preset', '--agent', 'bot', '--connector', c, 'allow-all'])).code).toBe(
      0,
    );
  }
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function get(host: string, path: string) {
  return rawExchange(
    gatewayPort,
    `GET http://${host}${path} HTTP/1.1\r\nHost: ${host}\r\nProxy-Authorization: ${auth}\r\nConnection: close\r\n\r\n`,
  ).then(onlyResponse);
}

describe('allow_cleartext from the CLI to the gateway', () => {
  it('the connector that allows it gets its credential over http://; the other is refused', async () => {
    // The configuration reaches the gateway through its stream.
    await eventually(
      () => get('legacy.test', '/ready').then((r) => r.status),
      (s) => s === 200,
      'legacy',
    );
    expect(upstream.seen.find((s) => s.url === '/ready')?.headers.authorization).toBe(
      `Bearer ${LEGACY_SECRET}`,
    );
    const refused = await get('strict.test', '/no');
    expect(refused.status).toBe(403);
    expect(problemOf(refused)['code']).toBe('insecure_transport');
    expect(JSON.stringify(upstream.seen)).not.toContain(STRICT_SECRET);
  });

  it('the API shows it; a built-in API connector cannot have it', async () => {
    const list = json<{ connectors: { name: string; allow_cleartext: boolean }[] }>(
      await cli(['connector', 'list', '--json']),
    );
    expect(list.connectors.map((c) => [c.name, c.allow_cleartext])).toEqual([
      ['legacy', true],
      ['strict', false],
    ]);
    const github = await cli(['connector', 'add', 'github', '--allow-cleartext']);
    expect(github.code).not.toBe(0);
    expect(github.stderr).toMatch(/allow_cleartext is only for connectors to hosts you name/);
  });

  it('config export writes it, applying the export is a no-op, and flipping it in a file takes effect', async () => {
    const file = join(work, 'config.yaml');
    expect((await cli(['config', 'export', '-o', file])).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.match(/allow_cleartext: true/g)).toHaveLength(1);
    const again = json<{ update: unknown[]; create: unknown[] }>(
      await cli(['config', 'apply', '-f', file, '--json']),
    );
    expect(again.update).toEqual([]);
    expect(again.create).toEqual([]);

    writeFileSync(file, text.replace('allow_cleartext: true', 'allow_cleartext: false'));
    const flipped = json<{ update: { name: string; changes: Record<string, unknown> }[] }>(
      await cli(['config', 'apply', '-f', file, '--json']),
    );
    expect(flipped.update).toEqual([
      { kind: 'connector', name: 'legacy', changes: { allow_cleartext: { from: true, to: false } } },
    ]);
    await eventually(
      () => get('legacy.test', '/after-flip').then((r) => r.status),
      (s) => s === 403,
      'legacy refused once the snapshot arrives',
    );
    expect(upstream.seen.some((s) => s.url === '/after-flip')).toBe(false);

    writeFileSync(file, text.replace('name: strict', 'name: strict\n    allow_cleartext: maybe'));
    const bad = await cli(['config', 'apply', '-f', file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/allow_cleartext/);
  });
});
