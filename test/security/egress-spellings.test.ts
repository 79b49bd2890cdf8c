// A probe that already held (issue 9), kept so it keeps holding: loopback, metadata and private
// addresses written every way an agent could write them never reach a loopback canary. A connector
// covers each spelling (pushed straight into the gateway's snapshot, past the control plane's domain
// checks), so the refusal proven here is the egress guard's (403 egress_blocked), on all three paths:
// absolute-form HTTP, HTTP inside an intercepted CONNECT tunnel (or a 400 at CONNECT for names no
// certificate can be minted for), and a raw (not intercepted) tunnel.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseHost } from '../../src/connectors/connector-index.js';
import { exchangeOn, onlyResponse, problemOf, rawConnect, rawExchange } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

const SPELLINGS = [
  '127.0.0.1',
  '127.1',
  '127.0.1',
  '127.127.127.127',
  '0x7f000001',
  '0x7f.0.0.1',
  '2130706433',
  '017700000001',
  '0177.0.0.1',
  '0.0.0.0',
  '0',
  'localhost',
  'localhost.',
  'LocalHost',
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[::127.0.0.1]',
  '[::]',
  '[64:ff9b::127.0.0.1]',
  '169.254.169.254',
  '0251.0376.0251.0376',
  '[::ffff:169.254.169.254]',
  '[fd00::1]',
  '[fe80::1]',
  '10.0.0.1',
  '192.168.1.1',
];

/** A TCP listener on loopback (v4 and v6, same port) that only counts connections. */
interface Canary {
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function startCanary(): Promise<Canary> {
  for (;;) {
    const state = { connections: 0 };
    const count = (socket: net.Socket) => {
      state.connections++;
      socket.destroy();
    };
    const v4 = net.createServer(count);
    await new Promise<void>((resolve) => v4.listen(0, '127.0.0.1', resolve));
    const port = (v4.address() as net.AddressInfo).port;
    const v6 = net.createServer(count);
    const bound = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false));
      v6.listen(port, '::1', () => resolve(true));
    });
    if (!bound) {
      v4.close();
      continue; // the port was taken on ::1: try another
    }
    return {
      port,
      get connections() {
        return state.connections;
      },
      set connections(n: number) {
        state.connections = n;
      },
      async close() {
        await Promise.all([v4, v6].map((s) => new Promise((r) => s.close(r))));
      },
    };
  }
}

/** The names the gateway looks a spelling up by: as written (CONNECT) and as a URL parses it. */
function lookupNames(spelling: string): string[] {
  return [normaliseHost(spelling), normaliseHost(new URL(`http://${spelling}/`).hostname)];
}

function withCanaries(raw: Canary) {
  return (s: import('../../src/sync/snapshot.js').GatewayConfigSnapshot) => {
    const names = [...new Set(SPELLINGS.flatMap(lookupNames))];
    const withPort = (n: string) => (n.includes(':') ? `[${n}]` : n);
    s.connectors.push(
      {
        id: 'c-canary',
        name: 'canary',
        type: 'generic',
        domains: names,
        auth: 'none',
        intercept: true,
        options: {},
      },
      {
        id: 'c-canary-raw',
        name: 'canary-raw',
        type: 'generic',
        domains: names.map((n) => `${withPort(n)}:${raw.port}`),
        auth: 'none',
        intercept: false,
        options: {},
      },
    );
    s.permissions.push(
      { id: 'bot-canary', agent: 'bot', connector: 'canary', action: 'http.*', decision: 'allow' },
      {
        id: 'bot-canary-raw',
        agent: 'bot',
        connector: 'canary-raw',
        action: 'tunnel.connect',
        decision: 'allow',
      },
    );
  };
}

let canary: Canary;
let rawCanary: Canary;
let gw: SecurityGateway;

beforeAll(async () => {
  canary = await startCanary();
  rawCanary = await startCanary();
  // The guard closed: no --unsafe-allow-private-egress at all.
  gw = await startSecurityGateway({ allowPrivateEgress: [], mutate: withCanaries(rawCanary) });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await canary?.close();
  await rawCanary?.close();
});

async function absoluteForm(g: SecurityGateway, spelling: string, port: number) {
  const url = `http://${spelling}:${port}/canary`;
  return onlyResponse(
    await rawExchange(
      g.port,
      `GET ${url} HTTP/1.1\r\nHost: ${spelling}:${port}\r\nProxy-Authorization: ${g.proxyAuth()}\r\nConnection: close\r\n\r\n`,
    ),
  );
}

describe('the canary is a real target (the control)', () => {
  it('a direct connection is counted, on IPv4 and IPv6 loopback', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ host, port: canary.port }, () => s.end());
        s.on('close', () => resolve());
        s.on('error', reject);
      });
    }
    await expect.poll(() => canary.connections).toBe(2);
    canary.connections = 0;
  });

  it('a gateway whose guard allows loopback does reach it through the same spellings', async () => {
    const open = await startSecurityGateway({
      allowPrivateEgress: ['127.0.0.0/8', '::1/128'],
      mutate: withCanaries(rawCanary),
    });
    try {
      for (const spelling of ['127.1', '0x7f000001', '[::1]']) {
        expect((await absoluteForm(open, spelling, canary.port)).status, spelling).not.toBe(403);
      }
      await expect.poll(() => canary.connections).toBeGreaterThanOrEqual(3);
    } finally {
      await open.close();
      canary.connections = 0;
    }
  }, 60_000);
});

describe('with the guard closed, no spelling reaches the canary', () => {
  for (const spelling of SPELLINGS) {
    it(`${spelling}: refused in absolute form, in a tunnel and through a raw tunnel`, async () => {
      const abs = await absoluteForm(gw, spelling, canary.port);
      expect(abs.status, abs.body).toBe(403);
      expect(problemOf(abs)['code']).toBe('egress_blocked');

      // Intercepted: a name no certificate can be minted for (`127.1` looks like a truncated IPv4
      // address) is refused at CONNECT; anything else opens, and the request inside is refused.
      const opened = await rawConnect(gw.port, `${spelling}:${canary.port}`, gw.proxyAuth()).then(
        (socket) => ({ socket, refusal: '' }),
        (err: Error) => ({ socket: undefined, refusal: err.message }),
      );
      if (opened.socket) {
        const inner = onlyResponse(
          await exchangeOn(
            opened.socket,
            `GET /canary HTTP/1.1\r\nHost: ${spelling}:${canary.port}\r\nConnection: close\r\n\r\n`,
          ),
        );
        expect(inner.status, inner.body).toBe(403);
        expect(problemOf(inner)['code']).toBe('egress_blocked');
      } else {
        expect(opened.refusal).toMatch(/^CONNECT refused: HTTP\/1\.1 400 /);
        expect(opened.refusal).toContain('not a valid host name or IP address');
      }

      const refused = await rawConnect(gw.port, `${spelling}:${rawCanary.port}`, gw.proxyAuth()).then(
        (s) => {
          s.destroy();
          return 'opened';
        },
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/^CONNECT refused: HTTP\/1\.1 403 /);
      expect(refused).toContain('egress_blocked');
    });
  }

  it('the canaries recorded zero connections', () => {
    expect(canary.connections).toBe(0);
    expect(rawCanary.connections).toBe(0);
  });
});
