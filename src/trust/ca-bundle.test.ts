import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../gateway/tls/certificate-authority.js';
import { buildCaBundle } from './ca-bundle.js';

let caPem: string;
beforeAll(async () => {
  caPem = (await createCertificateAuthority()).certPem;
});

function certificatesIn(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

describe('buildCaBundle', () => {
  it("holds Node's roots plus our CA, each a parseable certificate", () => {
    const bundle = buildCaBundle(caPem);
    const certs = certificatesIn(bundle);
    expect(certs).toHaveLength(new Set(rootCertificates).size + 1);
    expect(certs.at(-1)).toBe(caPem.trim());
    for (const pem of certs) new X509Certificate(pem);
    expect(bundle.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });

  it('adds extra roots once and drops duplicates', async () => {
    const extra = (await createCertificateAuthority()).certPem;
    const bundle = buildCaBundle(caPem, `${rootCertificates[0]}\n${extra}\n${caPem}`);
    expect(certificatesIn(bundle)).toHaveLength(new Set(rootCertificates).size + 2);
  });

  it('refuses a CA that is not exactly one certificate', () => {
    expect(() => buildCaBundle('garbage')).toThrow(/exactly one PEM certificate/);
    expect(() => buildCaBundle(caPem + caPem)).toThrow(/exactly one PEM certificate/);
  });
});
