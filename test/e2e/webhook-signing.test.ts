// Outbound webhooks through the gateway: with a stored secret, the gateway signs the exact body it
// forwards (HMAC-SHA256, `t=<unix>,v1=<hex>`), replacing any signature the agent made up.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/connectors/webhook.js';
import { cliFor } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';

const SECRET = 'whsec_e2e_0123456789abcdef';
const received: { host: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
let upstream: RunningServer<import('node:http').Server>;
let daemon: DaemonProcess;
let proxy: string;

beforeAll(async () => {
  upstream = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ host: req.headers.host ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.end('ok');
    });
  });
  daemon = await startDaemonProcess({
    args: [
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
      '--connect-to',
      `hooks.test:80:127.0.0.1:${upstream.port}`,
      '--connect-to',
      `plain-hooks.test:80:127.0.0.1:${upstream.port}`,
    ],
  });
  const cli = cliFor(daemon);
  const agent = JSON.parse((await cli(['agent', 'add', 'notifier', '--json'])).stdout) as { key: string };
  proxy = `http://notifier:${agent.key}@127.0.0.1:${new URL(daemon.gatewayUrl).port}`;
  const add = await cli(
    ['connector', 'add', 'webhook', '--name', 'hooks', '--domains', 'hooks.test', '--token-stdin'],
    {
      input: SECRET,
    },
  );
  expect(add.code, add.stderr).toBe(0);
  expect(
    (await cli(['connector', 'add', 'webhook', '--name', 'plain-hooks', '--domains', 'plain-hooks.test']))
      .code,
  ).toBe(0);
  for (const c of ['hooks', 'plain-hooks']) {
    expect(
      (await cli(['permissions', 'preset', '--agent', 'notifier', '--connector', c, 'allow-all'])).code,
    ).toBe(0);
  }
  // The configuration reaches the gateway through its stream; wait until it answers for the agent.
  for (let i = 0; i < 100; i++) {
    const r = await post('http://plain-hooks.test/ready', '{}').catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await upstream?.close();
});

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const { ProxyAgent, request } = await import('undici');
  const dispatcher = new ProxyAgent(proxy);
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      dispatcher,
    });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await dispatcher.close();
  }
}

describe('webhook connector', () => {
  it('signs the exact body with the stored secret, replacing a signature the agent sent', async () => {
    const body = JSON.stringify({ event: 'deploy.finished', id: 42, note: 'ünïcødé' });
    const r = await post('http://hooks.test/notify', body, { 'x-tameflare-signature': 't=1,v1=forged' });
    expect(r.status).toBe(200);
    const got = received.find((x) => x.host === 'hooks.test')!;
    expect(got.body.toString('utf8')).toBe(body);
    const signature = String(got.headers['x-tameflare-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, got.body, signature)).toBe(true);
    expect(verifyWebhookSignature('another-secret', got.body, signature)).toBe(false);
    expect(JSON.stringify(got.headers)).not.toContain(SECRET);
  });

  it('forwards unsigned when no secret is stored', async () => {
    const r = await post('http://plain-hooks.test/notify', '{"a":1}', {
      'x-tameflare-signature': 'agent-made',
    });
    expect(r.status).toBe(200);
    const got = received.filter((x) => x.host === 'plain-hooks.test').at(-1)!;
    expect(got.headers['x-tameflare-signature']).toBe('agent-made');
  });

  it('refuses a body too large to sign instead of sending it unsigned', async () => {
    const before = received.length;
    const r = await post('http://hooks.test/big', 'x'.repeat(1024 * 1024 + 1));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toMatchObject({ code: 'request_too_large', action: 'webhook.post' });
    expect(received.length).toBe(before);
  });
});
