// A Java trust store holding the JDK's own roots plus the gateway CA. Java reads neither
// SSL_CERT_FILE nor a PEM bundle, and it trusts a certificate-only PKCS12 entry only when the entry
// carries Oracle's trustedKeyUsage attribute, which keytool writes: so the store is the JDK's cacerts
// with our CA imported by keytool. That takes one JVM start (about a second), so it is done only when
// Java is installed, once per CA and cacerts, and cached.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { JAVA_TRUST_STORE_PASSWORD } from './runtime-env.js';

const run = promisify(execFile);

/** The first executable `name` on PATH, or undefined. */
export async function which(name: string, path: string | undefined): Promise<string | undefined> {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The cached trust store for this CA in `cacheDir`, made if missing. Undefined when there is no Java
 * (nothing to do) or no keytool/cacerts next to it (then Java will not trust the gateway).
 */
export async function javaTrustStore(opts: {
  caCertPath: string;
  cacheDir: string;
  path: string | undefined;
}): Promise<string | undefined> {
  const java = await which('java', opts.path);
  if (!java) return undefined;
  const bin = dirname(await realpath(java));
  const keytool = join(bin, 'keytool');
  const cacerts = join(bin, '..', 'lib', 'security', 'cacerts');
  let stamp: string;
  try {
    const [ca, roots] = await Promise.all([readFile(opts.caCertPath), stat(cacerts)]);
    await stat(keytool);
    stamp = createHash('sha256')
      .update(ca)
      .update(`${roots.size}:${roots.mtimeMs}`)
      .digest('hex')
      .slice(0, 16);
  } catch {
    return undefined;
  }
  const store = join(opts.cacheDir, `java-truststore-${stamp}.p12`);
  try {
    await stat(store);
    return store;
  } catch {
    // not made yet
  }
  const partial = `${store}.${process.pid}.tmp`;
  try {
    // cacerts is PKCS12 from JDK 9 on (JKS before; keytool and the JVM detect either).
    await copyFile(cacerts, partial);
    await run(keytool, [
      '-importcert',
      '-noprompt',
      '-alias',
      'tameflare-gateway-ca',
      '-file',
      opts.caCertPath,
      '-keystore',
      partial,
      '-storepass',
      JAVA_TRUST_STORE_PASSWORD,
    ]);
    await rename(partial, store);
    return store;
  } finally {
    await rm(partial, { force: true });
  }
}
