// A probe that already held (issue 9), kept so it keeps holding: 500 idle connections, 200 that sent
// half a request head and stopped, and 100 tunnels stalled in the middle of a TLS handshake, all open
// at once on the proxy port, while a normal request through TLS interception is still served. Loopback
// only, bounded, and every socket is closed at the end. No timing is asserted: only that the request
// is answered while the others are held open.
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

const run = promisify(execFile);
let gw: SecurityGateway;
const held: net.Socket[] = [];

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 60_000);

afterAll(async () => {
  for (const s of held) s.destroy();
  await gw?.close();
});

function open(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: gw.port }, () => resolve(s));
    s.on('error', reject);
  });
}

/** Opens `count` connections, 50 at a time (the listen backlog is finite), each prepared by `then`. */
async function openMany(count: number, then: (s: net.Socket) => Promise<void> | void): Promise<void> {
  for (let done = 0; done < count; done += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - done) }, () => open()));
    for (const s of batch) {
      s.on('error', () => {}); // the gateway may close them; that is its right
      held.push(s);
      await then(s);
    }
  }
}

// The first bytes of a TLS ClientHello (record header and the start of the handshake), then nothing.
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

describe('slow and idle clients', () => {
  it('500 idle + 200 half-header + 100 stalled TLS handshakes, and a normal request is served', async () => {
    await openMany(500, () => {});
    await openMany(200, (s) => {
      s.write(
        `GET http://plain.test/slow HTTP/1.1\r\nHost: plain.test\r\nProxy-Authorization: ${gw.proxyAuth()}\r\nX-Slow: `,
      );
    });
    for (let i = 0; i < 100; i += 25) {
      const tunnels = await Promise.all(
        Array.from({ length: 25 }, () => rawConnect(gw.port, 'api.github.com:443', gw.proxyAuth())),
      );
      for (const t of tunnels) {
        t.on('error', () => {});
        t.write(PARTIAL_CLIENT_HELLO);
        held.push(t);
      }
    }
    const stillOpen = held.filter((s) => !s.destroyed).length;
    expect(stillOpen).toBeGreaterThanOrEqual(700);

    const { stdout } = await run('curl', [
      '-sS',
      '--cacert',
      gw.caFile,
      '-x',
      gw.proxyUrl(),
      'https://api.github.com/repos/octo/while-flooded',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ upstream: 'tls', url: '/repos/octo/while-flooded' });
    const health = await fetch(`${gw.daemon.gatewayUrl}/health`);
    expect(health.status).toBe(200);
    expect(gw.plain.seen.some((s) => s.url === '/slow')).toBe(false);
  }, 60_000);

  it('after they all go away, the gateway still serves', async () => {
    await Promise.all(
      held.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) resolve();
            else {
              s.once('close', () => resolve());
              s.destroy();
            }
          }),
      ),
    );
    const { stdout } = await run('curl', ['-sS', '-x', gw.proxyUrl(), 'http://plain.test/after-flood']);
    expect(JSON.parse(stdout)).toMatchObject({ upstream: 'plain', url: '/after-flood' });
  });
});
