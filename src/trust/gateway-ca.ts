// Threat model: the CA a gateway registers is what agents on other machines are told to trust, so a
// wrong certificate here would either break every HTTPS request or, worse, make agents trust a CA
// that is not their gateway's. The control plane hands out the PEM a gateway sent over its
// authenticated link together with the fingerprint computed then; whoever receives the pair (the
// control plane on registration, the CLI before caching it) checks that the PEM is exactly one CA
// certificate whose SHA-256 fingerprint is that one, and refuses anything else.
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** SHA-256 of the DER certificate, upper-case hex with colons (as `openssl x509 -fingerprint -sha256`). */
export function caFingerprint(pem: string): string {
  return parseSingleCa(pem).fingerprint256;
}

/** Whether `pem` is one CA certificate whose fingerprint is `fingerprint`; why not, otherwise. */
export function checkGatewayCa(
  pem: string,
  fingerprint: string,
): { ok: true; certPem: string } | { ok: false; reason: string } {
  let cert: X509Certificate;
  try {
    cert = parseSingleCa(pem);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (cert.fingerprint256 !== normalizeFingerprint(fingerprint)) {
    return {
      ok: false,
      reason: `its fingerprint ${cert.fingerprint256} is not the registered ${fingerprint}`,
    };
  }
  return { ok: true, certPem: `${pem.match(PEM_BLOCK)![0]}\n` };
}

/** `ab:cd…`, `ABCD…` and `AB:CD…` are the same fingerprint. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

function parseSingleCa(pem: string): X509Certificate {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length !== 1) throw new Error(`expected one PEM certificate, found ${blocks.length}`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]!);
  } catch (err) {
    throw new Error(`not a certificate (${(err as Error).message})`);
  }
  if (!cert.ca) throw new Error('the certificate is not a CA certificate');
  return cert;
}
