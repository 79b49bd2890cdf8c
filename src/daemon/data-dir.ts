// The data directory: every file of an installation, created with owner-only permissions. `init`
// and `serve` share this code; each file is created only when missing, so running it again is a
// no-op that says so.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { exportPKCS8, generateKeyPair } from 'jose';
import { createCertificateAuthority } from '../gateway/tls/certificate-authority.js';
import { buildCaBundle } from '../trust/ca-bundle.js';
import { generateMasterKey } from '../vault/vault-crypto.js';
import type { DataDirPaths } from './data-dir-paths.js';

export { type DataDirPaths, dataDirPaths } from './data-dir-paths.js';

export function ensureDataDir(paths: DataDirPaths): boolean {
  if (existsSync(paths.dir)) {
    if (!statSync(paths.dir).isDirectory())
      throw new Error(`data dir ${paths.dir} exists and is not a directory`);
    // Tighten a directory someone created by hand; keys inside must not be world-readable.
    if ((statSync(paths.dir).mode & 0o077) !== 0) chmodSync(paths.dir, 0o700);
    return false;
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  return true;
}

/** Writes a secret file with mode 0600, failing if it appeared meanwhile (no silent overwrite). */
export function writePrivateFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

export interface KeyFilesResult {
  created: string[];
  existing: string[];
}

/** The CA, its bundle, and the master key: what a gateway needs. */
export async function ensureGatewayFiles(
  paths: DataDirPaths,
  opts: { masterKeyFromEnv: boolean },
): Promise<KeyFilesResult> {
  const result: KeyFilesResult = { created: [], existing: [] };
  if (existsSync(paths.caCert) !== existsSync(paths.caKey)) {
    throw new Error(`only one of ca.crt and ca.key exists in ${paths.dir}; restore the other or remove both`);
  }
  if (!existsSync(paths.caCert)) {
    const ca = await createCertificateAuthority();
    writePrivateFile(paths.caKey, ca.keyPem);
    writeFileSync(paths.caCert, ca.certPem, { mode: 0o644, flag: 'wx' });
    result.created.push('ca.crt', 'ca.key');
  } else {
    result.existing.push('ca.crt', 'ca.key');
  }
  // The bundle is derived (system roots + our CA): rebuild it when missing or when the CA changed.
  const caPem = readFileSync(paths.caCert, 'utf8');
  const bundle = buildCaBundle(caPem);
  if (!existsSync(paths.caBundle) || readFileSync(paths.caBundle, 'utf8') !== bundle) {
    const existed = existsSync(paths.caBundle);
    writeFileSync(paths.caBundle, bundle, { mode: 0o644 });
    result.created.push(existed ? 'ca-bundle.pem (refreshed)' : 'ca-bundle.pem');
  } else {
    result.existing.push('ca-bundle.pem');
  }
  if (!opts.masterKeyFromEnv) {
    if (!existsSync(paths.masterKey)) {
      writePrivateFile(paths.masterKey, `${generateMasterKey()}\n`);
      result.created.push('master.key');
    } else {
      result.existing.push('master.key');
    }
  }
  return result;
}

/** The ES256 signing key: what a control plane needs besides its database. */
export async function ensureControlFiles(paths: DataDirPaths): Promise<KeyFilesResult> {
  const result: KeyFilesResult = { created: [], existing: [] };
  if (!existsSync(paths.signingKey)) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    writePrivateFile(paths.signingKey, await exportPKCS8(privateKey));
    result.created.push('signing.key');
  } else {
    result.existing.push('signing.key');
  }
  return result;
}
