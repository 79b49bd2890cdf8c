import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  loadCertificateAuthority,
} from './certificate-authority.js';

const HOUR = 3_600_000;
let created: { certPem: string; keyPem: string };
let ca: CertificateAuthority;
let leafKey: webcrypto.CryptoKeyPair;

beforeAll(async () => {
  created = await createCertificateAuthority({ now: new Date('2030-01-01T00:00:00Z') });
  ca = await loadCertificateAuthority(created.certPem, created.keyPem, {
    now: new Date('2030-01-02T00:00:00Z'),
  });
  leafKey = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
});

function issue(hosts: string[], from = Date.now()): Promise<string> {
  return ca.issueServerCertificate({
    hosts,
    publicKey: leafKey.publicKey,
    notBefore: new Date(from - HOUR),
    notAfter: new Date(from + 24 * HOUR),
  });
}

describe('createCertificateAuthority', () => {
  it('creates an ECDSA P-256 CA valid for 10 years with CA extensions and a PKCS#8 key', () => {
    expect(created.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(created.keyPem);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const cert = new X509Certificate(created.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=TameFlare Local CA');
    expect(new Date(cert.validTo).toISOString()).toBe('2040-01-01T00:00:00.000Z');
    expect(cert.verify(cert.publicKey)).toBe(true);

    const parsed = new x509.X509Certificate(created.certPem);
    const basic = parsed.getExtension(x509.BasicConstraintsExtension)!;
    expect([basic.ca, basic.pathLength, basic.critical]).toEqual([true, 0, true]);
    const usage = parsed.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(usage.critical).toBe(true);
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('uses a fresh key and serial each time and honours commonName', async () => {
    const other = await createCertificateAuthority({ commonName: 'Test CA' });
    expect(new X509Certificate(other.certPem).subject).toContain('CN=Test CA');
    expect(new X509Certificate(other.certPem).serialNumber).not.toBe(
      new X509Certificate(created.certPem).serialNumber,
    );
    expect(other.keyPem).not.toBe(created.keyPem);
  });
});

describe('loadCertificateAuthority', () => {
  it('exposes certPem, fingerprint256 and notAfter', () => {
    const cert = new X509Certificate(created.certPem);
    expect(ca.certPem).toBe(created.certPem);
    expect(ca.fingerprint256).toBe(cert.fingerprint256);
    expect(ca.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(ca.notAfter.toISOString()).toBe('2040-01-01T00:00:00.000Z');
  });

  it('accepts a SEC1 EC key', async () => {
    const sec1 = createPrivateKey(created.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
    const loaded = await loadCertificateAuthority(created.certPem, sec1, { now: new Date('2031-01-01Z') });
    expect(loaded.fingerprint256).toBe(ca.fingerprint256);
  });

  it('does not keep an exportable or printable key', () => {
    expect(JSON.stringify(ca)).not.toContain('PRIVATE');
    expect(Object.values(ca).join(' ')).not.toContain('PRIVATE');
  });

  it('refuses a key that belongs to another CA', async () => {
    const other = await createCertificateAuthority();
    await expect(loadCertificateAuthority(created.certPem, other.keyPem)).rejects.toThrow(/does not match/);
  });

  it('refuses a certificate that is not a CA', async () => {
    const leaf = await issue(['example.com']);
    await expect(loadCertificateAuthority(leaf, created.keyPem)).rejects.toThrow(/is not a CA/);
  });

  it('refuses an expired CA', async () => {
    await expect(
      loadCertificateAuthority(created.certPem, created.keyPem, { now: new Date('2041-01-01Z') }),
    ).rejects.toThrow(/expired on 2040-01-01/);
  });

  it('refuses garbage without quoting the key file', async () => {
    await expect(loadCertificateAuthority('nope', created.keyPem)).rejects.toThrow(/not a PEM X.509/);
    const badKey = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n';
    const error = await loadCertificateAuthority(created.certPem, badKey).catch((e: Error) => e);
    expect(String(error)).toMatch(/not an unencrypted PEM private key/);
    expect(String(error)).not.toContain('c2VjcmV0');
  });
});

describe('issueServerCertificate', () => {
  it('issues a serverAuth leaf that verifies against the CA, with DNS and IP SANs', async () => {
    const leaf = new X509Certificate(await issue(['API.Example.com.', '[::1]', '10.0.0.1']));
    const caCert = new X509Certificate(created.certPem);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe('CN=api.example.com');
    expect(leaf.subjectAltName).toBe('DNS:api.example.com, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.1');
    expect(leaf.checkHost('api.example.com')).toBe('api.example.com');
    expect(leaf.checkHost('other.example.com')).toBeUndefined();
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkIP('10.0.0.1')).toBe('10.0.0.1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const parsed = new x509.X509Certificate(leaf.raw);
    const aki = parsed.getExtension(x509.AuthorityKeyIdentifierExtension)!;
    const ski = new x509.X509Certificate(created.certPem).getExtension(x509.SubjectKeyIdentifierExtension)!;
    expect(aki.keyId).toBe(ski.keyId);
  });

  it('accepts an SPKI buffer as the public key', async () => {
    const spki = await webcrypto.subtle.exportKey('spki', leafKey.publicKey);
    const pem = await ca.issueServerCertificate({
      hosts: ['a.test'],
      publicKey: spki,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + HOUR),
    });
    expect(new X509Certificate(pem).verify(new X509Certificate(created.certPem).publicKey)).toBe(true);
  });

  it('never outlives the CA', async () => {
    const leaf = new X509Certificate(await issue(['late.test'], Date.parse('2039-12-31T12:00:00Z')));
    expect(new Date(leaf.validTo).toISOString()).toBe('2040-01-01T00:00:00.000Z');
  });

  it('refuses an empty host list and invalid hosts', async () => {
    await expect(issue([])).rejects.toThrow(/at least one host/);
    await expect(issue(['*.example.com'])).rejects.toThrow(/invalid host/);
  });
});
