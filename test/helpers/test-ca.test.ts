import { X509Certificate } from 'node:crypto';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { createTestCa, startHttpServer, startHttpsServer } from './test-ca.js';

function collect(request: ClientRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject).end();
  });
}

describe('test CA helpers', () => {
  it('issues server certificates for names and IPs that verify against the test CA', async () => {
    const ca = await createTestCa();
    const issued = await ca.issueServerCertificate(['api.github.com', '127.0.0.1']);
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.checkHost('api.github.com')).toBe('api.github.com');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(issued.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('serves HTTPS as a named host on loopback, trusted only with the test CA', async () => {
    const ca = await createTestCa();
    const upstream = await startHttpsServer((req, res) => res.end(`hello ${req.headers.host}`), {
      hosts: ['api.github.com'],
      ca,
    });
    try {
      const options = { host: '127.0.0.1', port: upstream.port, servername: 'api.github.com', path: '/' };
      const ok = await collect(
        httpsRequest({ ...options, ca: ca.certPem, headers: { host: 'api.github.com' } }),
      );
      expect(ok).toEqual({ status: 200, body: 'hello api.github.com' });
      await expect(collect(httpsRequest(options))).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    } finally {
      await upstream.close();
    }
  });

  it('serves plain HTTP and closes with keep-alive clients attached', async () => {
    const upstream = await startHttpServer((_req, res) => res.end('plain'));
    const response = await collect(httpRequest({ host: '127.0.0.1', port: upstream.port, path: '/' }));
    expect(response).toEqual({ status: 200, body: 'plain' });
    await upstream.close();
  });
});
