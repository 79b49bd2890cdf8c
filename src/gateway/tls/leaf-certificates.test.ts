import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import {
  connect,
  createServer as createTlsServer,
  type SecureContext,
  type Server,
  TLSSocket,
} from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  loadCertificateAuthority,
} from './certificate-authority.js';
import { LeafCertificateCache } from './leaf-certificates.js';

const HOUR = 3_600_000;
let ca: CertificateAuthority;

beforeAll(async () => {
  const created = await createCertificateAuthority();
  ca = await loadCertificateAuthority(created.certPem, created.keyPem);
});

const servers: Array<Server | NetServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Handshakes as a client that trusts only our CA and returns the leaf it was shown. */
async function handshake(port: number, servername: string | undefined): Promise<X509Certificate> {
  const socket = connect({ host: '127.0.0.1', port, servername, ca: [ca.certPem] });
  try {
    await once(socket, 'secureConnect');
    expect(socket.authorized).toBe(true);
    return socket.getPeerX509Certificate()!;
  } finally {
    socket.destroy();
  }
}

describe('LeafCertificateCache', () => {
  it('mints once per host, also for concurrent first requests', async () => {
    const cache = new LeafCertificateCache(ca);
    const contexts = await Promise.all(
      Array.from({ length: 20 }, () => cache.secureContextFor('api.github.com')),
    );
    expect(new Set(contexts).size).toBe(1);
    expect(await cache.secureContextFor('API.GITHUB.COM')).toBe(contexts[0]);
    expect(cache.stats()).toEqual({ minted: 1, cached: 1 });
    await cache.secureContextFor('uploads.github.com');
    expect(cache.stats()).toEqual({ minted: 2, cached: 2 });
  });

  it('is bounded: the least recently used host is dropped', async () => {
    const cache = new LeafCertificateCache(ca, { maxEntries: 2 });
    const a = await cache.secureContextFor('a.test');
    await cache.secureContextFor('b.test');
    await cache.secureContextFor('a.test');
    await cache.secureContextFor('c.test');
    expect(cache.stats()).toEqual({ minted: 3, cached: 2 });
    expect(await cache.secureContextFor('a.test')).toBe(a);
    await cache.secureContextFor('b.test');
    expect(cache.stats().minted).toBe(4);
  });

  it('re-mints when less than a quarter of the validity remains', async () => {
    let now = Date.parse('2030-06-01T00:00:00Z');
    const start = now;
    const cache = new LeafCertificateCache(ca, { validityMs: 4 * HOUR, now: () => now });
    const first = await cache.secureContextFor('renew.test');
    now = start + 3 * HOUR - 1;
    expect(await cache.secureContextFor('renew.test')).toBe(first);
    now = start + 3 * HOUR;
    expect(await cache.secureContextFor('renew.test')).not.toBe(first);
    expect(cache.stats()).toEqual({ minted: 2, cached: 1 });
  });

  it('does not cache a failed mint', async () => {
    let failures = 1;
    const flaky: CertificateAuthority = {
      certPem: ca.certPem,
      fingerprint256: ca.fingerprint256,
      notAfter: ca.notAfter,
      subject: ca.subject,
      issueServerCertificate: (params) =>
        failures-- > 0 ? Promise.reject(new Error('signing failed')) : ca.issueServerCertificate(params),
    };
    const cache = new LeafCertificateCache(flaky);
    const results = await Promise.allSettled([
      cache.secureContextFor('x.test'),
      cache.secureContextFor('x.test'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(cache.stats()).toEqual({ minted: 0, cached: 0 });
    await expect(cache.secureContextFor('x.test')).resolves.toBeDefined();
    expect(cache.stats()).toEqual({ minted: 1, cached: 1 });
  });

  it.each(['*.github.com', 'bad host', '', 'a..b', 'fe80::1%eth0'])(
    'rejects %j before minting',
    async (host) => {
      const cache = new LeafCertificateCache(ca);
      await expect(cache.secureContextFor(host)).rejects.toThrow(/invalid host/);
      expect(cache.stats()).toEqual({ minted: 0, cached: 0 });
    },
  );

  it('refuses nonsense options', () => {
    expect(() => new LeafCertificateCache(ca, { maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new LeafCertificateCache(ca, { validityMs: -1 })).toThrow(/validityMs/);
  });

  it('serves a verifiable leaf through SNI on a real TLS server', async () => {
    const cache = new LeafCertificateCache(ca);
    const server = createTlsServer({
      SNICallback: (name, cb) => {
        cache.secureContextFor(name).then(
          (context) => cb(null, context),
          (error: Error) => cb(error),
        );
      },
    });
    server.on('secureConnection', (socket) => socket.end());
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    const before = Date.now();
    const leaf = await handshake(port, 'api.example.test');
    expect(leaf.checkHost('api.example.test')).toBe('api.example.test');
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const notBefore = Date.parse(leaf.validFrom);
    const notAfter = Date.parse(leaf.validTo);
    expect(Math.abs(notBefore - (before - HOUR))).toBeLessThan(5_000);
    expect(Math.abs(notAfter - (before + 24 * HOUR))).toBeLessThan(5_000);
    await handshake(port, 'api.example.test');
    expect(cache.stats().minted).toBe(1);
  });

  it.each(['127.0.0.1', '[127.0.0.1]'])(
    'serves an IP-literal host (%s) without SNI, as the gateway does for CONNECT to an IP',
    async (host) => {
      const cache = new LeafCertificateCache(ca);
      const context: SecureContext = await cache.secureContextFor(host);
      const server = createNetServer((raw) => {
        const socket = new TLSSocket(raw, { isServer: true, secureContext: context });
        socket.on('error', () => socket.destroy());
        socket.on('secure', () => socket.end());
      });
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const leaf = await handshake(port, undefined);
      expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    },
  );

  it('is refused by a client that does not trust the CA', async () => {
    const cache = new LeafCertificateCache(ca);
    const context = await cache.secureContextFor('untrusted.test');
    const server = createTlsServer({ SNICallback: (_name, cb) => cb(null, context) });
    server.on('tlsClientError', () => {});
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port, servername: 'untrusted.test' });
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    // The chain we send ends in our self-signed CA, which this client does not know.
    expect(error.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    socket.destroy();
  });
});
