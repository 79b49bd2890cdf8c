import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../gateway/tls/certificate-authority.js';
import { caFingerprint, checkGatewayCa, normalizeFingerprint } from './gateway-ca.js';

let ca: string;
let other: string;
beforeAll(async () => {
  const [a, b] = await Promise.all([createCertificateAuthority(), createCertificateAuthority()]);
  ca = a.certPem;
  other = b.certPem;
});

describe('gateway CA checks', () => {
  it('accepts the registered CA in any fingerprint spelling', () => {
    const fp = caFingerprint(ca);
    expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    for (const spelling of [fp, fp.toLowerCase(), fp.replace(/:/g, '')]) {
      expect(checkGatewayCa(ca, spelling)).toEqual({ ok: true, certPem: `${ca.trim()}\n` });
    }
    expect(normalizeFingerprint(fp.toLowerCase())).toBe(fp);
  });

  it('refuses another CA under that fingerprint', () => {
    const r = checkGatewayCa(other, caFingerprint(ca));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/is not the registered/);
  });

  it('refuses two certificates, garbage, and a certificate that is not a CA', async () => {
    expect(checkGatewayCa(`${ca}\n${other}`, caFingerprint(ca))).toMatchObject({
      ok: false,
      reason: 'expected one PEM certificate, found 2',
    });
    expect(checkGatewayCa('hello', caFingerprint(ca))).toMatchObject({ ok: false });
    const { loadCertificateAuthority } = await import('../gateway/tls/certificate-authority.js');
    const pair = await createCertificateAuthority();
    const loaded = await loadCertificateAuthority(pair.certPem, pair.keyPem);
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const now = new Date();
    const leaf = await loaded.issueServerCertificate({
      hosts: ['example.com'],
      publicKey: keys.publicKey,
      notBefore: now,
      notAfter: new Date(now.getTime() + 3600_000),
    });
    expect(checkGatewayCa(leaf, caFingerprint(pair.certPem))).toMatchObject({
      ok: false,
      reason: 'the certificate is not a CA certificate',
    });
  });
});
