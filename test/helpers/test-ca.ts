// A throwaway CA and loopback servers for integration tests: fake upstreams such as a local
// "api.github.com" that the gateway reaches over real TLS. Built on the product's own CA code, so the
// tests exercise the same certificates the gateway mints.
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  createCertificateAuthority,
  loadCertificateAuthority,
} from '../../src/gateway/tls/certificate-authority.js';

const HOUR_MS = 3_600_000;

export interface TestCa {
  certPem: string;
  keyPem: string;
  /** A server certificate (PEM, leaf only) and its own new P-256 key for the given names and IPs. */
  issueServerCertificate(hosts: string[]): Promise<{ certPem: string; keyPem: string }>;
}

export interface RunningServer<S> {
  port: number;
  server: S;
  close(): Promise<void>;
}

export async function createTestCa(): Promise<TestCa> {
  const { certPem, keyPem } = await createCertificateAuthority({ commonName: 'TameFlare Test CA' });
  const ca = await loadCertificateAuthority(certPem, keyPem);
  return {
    certPem,
    keyPem,
    async issueServerCertificate(hosts) {
      const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const now = Date.now();
      const leafPem = await ca.issueServerCertificate({
        hosts,
        publicKey: pair.publicKey,
        notBefore: new Date(now - HOUR_MS),
        notAfter: new Date(now + 30 * 24 * HOUR_MS),
      });
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)).toString(
        'base64',
      );
      const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
      return { certPem: leafPem, keyPem };
    },
  };
}

/** An HTTPS server on 127.0.0.1 with a certificate for `hosts` signed by `ca`. */
export async function startHttpsServer(
  handler: RequestListener,
  opts: { hosts: string[]; ca: TestCa },
): Promise<RunningServer<HttpsServer>> {
  const { certPem, keyPem } = await opts.ca.issueServerCertificate(opts.hosts);
  return listen(createHttpsServer({ cert: certPem, key: keyPem }, handler));
}

/** A plain HTTP server on 127.0.0.1. */
export function startHttpServer(handler: RequestListener): Promise<RunningServer<Server>> {
  return listen(createHttpServer(handler));
}

async function listen<S extends Server | HttpsServer>(server: S): Promise<RunningServer<S>> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    server,
    async close() {
      // Keep-alive clients (the gateway's pooled agents) would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
