// The interception CA. Its private key makes agents trust any certificate it signs, so it is the most
// sensitive key the gateway holds. Controls: once loaded it lives only as a non-extractable WebCrypto
// key inside this module (nothing in the process can export or print it); it signs only server leaves
// (serverAuth, not CA); the CA itself is constrained to pathLen 0 so a leaked leaf key cannot mint
// more certificates. Loading refuses a key that does not match the certificate, a certificate that is
// not a CA, or one that has expired, so a broken data directory is a clear start-up error.
import 'reflect-metadata';
import {
  createPrivateKey,
  type KeyObject,
  X509Certificate as NodeX509Certificate,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parseCertificateHost } from './certificate-host.js';

// @peculiar/x509 looks the provider up at call time; setting it here (idempotent, same object every
// time) keeps every helper of the library on Node's WebCrypto.
x509.cryptoProvider.set(webcrypto);

const HOUR_MS = 60 * 60 * 1000;
const CA_VALIDITY_YEARS = 10;
const DEFAULT_CA_NAME = 'TameFlare Local CA';
const EC_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

export interface IssueServerCertificateParams {
  /** DNS names and IP literals; the first one is also the subject CN. */
  hosts: readonly string[];
  /** The leaf's public key, or its SPKI DER (cheaper: callers minting many leaves export it once). */
  publicKey: webcrypto.CryptoKey | ArrayBuffer;
  notBefore: Date;
  /** Clamped to the CA's own expiry. */
  notAfter: Date;
}

export interface CertificateAuthority {
  readonly certPem: string;
  /** SHA-256 of the DER certificate, upper-case hex with colons, as Node's X509Certificate prints it. */
  readonly fingerprint256: string;
  readonly notAfter: Date;
  readonly subject: string;
  /** Signs a serverAuth leaf for `hosts` and returns it as PEM. */
  issueServerCertificate(params: IssueServerCertificateParams): Promise<string>;
}

/** Creates a new CA: ECDSA P-256, 10 years, CA:true pathLen 0, keyCertSign + cRLSign. PKCS#8 key. */
export async function createCertificateAuthority(
  opts: { commonName?: string; now?: Date } = {},
): Promise<{ certPem: string; keyPem: string }> {
  const now = opts.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [opts.commonName ?? DEFAULT_CA_NAME] }, { O: ['TameFlare'] }],
    // Back-dated like the leaves, so a client whose clock is a little behind still accepts it.
    notBefore: new Date(now.getTime() - HOUR_MS),
    notAfter,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ski,
      new x509.AuthorityKeyIdentifierExtension(ski.keyId),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: toPem(cert.rawData, 'CERTIFICATE'), keyPem: toPem(pkcs8, 'PRIVATE KEY') };
}

/** Loads and checks a CA from PEM (PKCS#8 or SEC1 EC keys, or RSA keys brought by the operator). */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
  opts: { now?: Date } = {},
): Promise<CertificateAuthority> {
  let nodeCert: NodeX509Certificate;
  try {
    nodeCert = new NodeX509Certificate(certPem);
  } catch {
    throw new Error('CA certificate is not a PEM X.509 certificate');
  }
  if (!nodeCert.ca)
    throw new Error(`CA certificate "${nodeCert.subject}" is not a CA (basicConstraints CA:FALSE)`);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(keyPem);
  } catch {
    // Never include the parser's message: it could quote part of the key file.
    throw new Error('CA private key is not an unencrypted PEM private key');
  }
  if (!nodeCert.checkPrivateKey(keyObject))
    throw new Error('CA private key does not match the CA certificate');
  const notAfter = new Date(nodeCert.validTo);
  if (notAfter.getTime() <= (opts.now ?? new Date()).getTime()) {
    throw new Error(`CA certificate expired on ${notAfter.toISOString()}`);
  }
  const cert = new x509.X509Certificate(certPem);
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new Error('CA certificate key usage does not allow signing certificates (keyCertSign)');
  }
  const { importAlgorithm, signingAlgorithm } = algorithmsFor(keyObject);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    keyObject.export({ format: 'der', type: 'pkcs8' }),
    importAlgorithm,
    false,
    ['sign'],
  );
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  // Chain builders (and Python 3.13's strict mode) match leaf AKI to CA SKI; reuse the CA's own value.
  const aki = ski
    ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
    : await x509.AuthorityKeyIdentifierExtension.create(await cert.publicKey.export());
  return new LoadedCertificateAuthority({
    certPem: toPem(cert.rawData, 'CERTIFICATE'),
    fingerprint256: nodeCert.fingerprint256,
    notAfter,
    subject: nodeCert.subject,
    issuerName: cert.subjectName,
    aki,
    signingKey,
    signingAlgorithm,
  });
}

class LoadedCertificateAuthority implements CertificateAuthority {
  readonly certPem: string;
  readonly fingerprint256: string;
  readonly notAfter: Date;
  readonly subject: string;
  readonly #issuerName: x509.Name;
  readonly #aki: x509.AuthorityKeyIdentifierExtension;
  readonly #signingKey: webcrypto.CryptoKey;
  readonly #signingAlgorithm: webcrypto.Algorithm;

  constructor(parts: {
    certPem: string;
    fingerprint256: string;
    notAfter: Date;
    subject: string;
    issuerName: x509.Name;
    aki: x509.AuthorityKeyIdentifierExtension;
    signingKey: webcrypto.CryptoKey;
    signingAlgorithm: webcrypto.Algorithm;
  }) {
    this.certPem = parts.certPem;
    this.fingerprint256 = parts.fingerprint256;
    this.notAfter = parts.notAfter;
    this.subject = parts.subject;
    this.#issuerName = parts.issuerName;
    this.#aki = parts.aki;
    this.#signingKey = parts.signingKey;
    this.#signingAlgorithm = parts.signingAlgorithm;
  }

  async issueServerCertificate(params: IssueServerCertificateParams): Promise<string> {
    const hosts = params.hosts.map(parseCertificateHost);
    const first = hosts[0];
    if (!first) throw new Error('a server certificate needs at least one host');
    const notAfter = new Date(Math.min(params.notAfter.getTime(), this.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ CN: [first.name] }],
      // The Name object, not its string form: the issuer must equal the CA subject byte for byte.
      issuer: this.#issuerName,
      notBefore: params.notBefore,
      notAfter,
      publicKey: params.publicKey,
      signingKey: this.#signingKey,
      signingAlgorithm: this.#signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((h) => ({ type: h.kind === 'dns' ? x509.DNS : x509.IP, value: h.name })),
        ),
        this.#aki,
      ],
    });
    return toPem(cert.rawData, 'CERTIFICATE');
  }
}

function algorithmsFor(key: KeyObject): {
  importAlgorithm: webcrypto.Algorithm;
  signingAlgorithm: webcrypto.Algorithm;
} {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') {
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' } as webcrypto.EcKeyImportParams,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
      };
    }
    if (curve === 'secp384r1') {
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: 'P-384' } as webcrypto.EcKeyImportParams,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams,
      };
    }
    throw new Error(`CA private key uses an unsupported curve (${curve ?? 'unknown'}); use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.RsaHashedImportParams;
    return { importAlgorithm: rsa, signingAlgorithm: rsa };
  }
  throw new Error(
    `CA private key type ${key.asymmetricKeyType ?? 'unknown'} is not supported; use ECDSA or RSA`,
  );
}

// 128 random bits; the library makes the DER integer positive.
function randomSerial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex');
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
