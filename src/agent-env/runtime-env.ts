// The variables for runtimes that need more than HTTP(S)_PROXY and SSL_CERT_FILE: Python (our
// sitecustomize), wget (a wgetrc), PHP (an ini directory), Java (system properties and a trust store)
// and Deno. The files themselves are made by runtime-files.ts; this only names them.
//
// Pure: no process.env, no files. Nothing secret goes into these variables: Java's options are echoed
// to stderr by every JVM ("Picked up JAVA_TOOL_OPTIONS"), which is why Java gets a loopback relay that
// adds the credential (credential-relay.ts) instead of the credential itself.
import { delimiter } from 'node:path';

export interface RuntimeFiles {
  /** The directory holding TameFlare's sitecustomize.py (first on PYTHONPATH). */
  pythonDir?: string;
  /** A wgetrc that trusts the CA bundle (and includes the user's own wgetrc). */
  wgetrc?: string;
  /** A directory holding tameflare.ini (curl.cainfo, openssl.cafile). */
  phpIniDir?: string;
  /** Java: where to send HTTP(S) (a credential relay, or the gateway) and what to trust. */
  java?: { proxyHost: string; proxyPort: number; trustStore?: string };
}

export interface RuntimeEnvInput {
  files: RuntimeFiles;
  caCertPath: string;
  /** The merged NO_PROXY list, comma-separated. */
  noProxy: string;
  baseEnv: Record<string, string | undefined>;
}

/** The JDK cacerts' password, kept for our copy: public, it only guards the store's integrity check. */
export const JAVA_TRUST_STORE_PASSWORD = 'changeit';

export function runtimeVariables(input: RuntimeEnvInput): Record<string, string> {
  const { files, baseEnv: env } = input;
  const out: Record<string, string> = {};
  // Deno adds DENO_CERT to its roots (like NODE_EXTRA_CA_CERTS), so the CA alone.
  out['DENO_CERT'] = input.caCertPath;
  if (files.pythonDir) out['PYTHONPATH'] = prependPath(files.pythonDir, env['PYTHONPATH']);
  if (files.wgetrc) out['WGETRC'] = files.wgetrc;
  // An empty entry stands for PHP's compiled-in scan directory, so its own ini files still load;
  // ours comes last and wins.
  if (files.phpIniDir)
    out['PHP_INI_SCAN_DIR'] = `${env['PHP_INI_SCAN_DIR'] ?? ''}${delimiter}${files.phpIniDir}`;
  if (files.java)
    out['JAVA_TOOL_OPTIONS'] = javaToolOptions(files.java, input.noProxy, env['JAVA_TOOL_OPTIONS']);
  return out;
}

function prependPath(dir: string, existing: string | undefined): string {
  const rest = (existing ?? '').split(delimiter).filter((p) => p !== '' && p !== dir);
  return [dir, ...rest].join(delimiter);
}

/** NO_PROXY as Java's http.nonProxyHosts: `|`-separated, `*` wildcards, no brackets around IPv6. */
export function javaNonProxyHosts(noProxy: string): string {
  const hosts = new Set<string>();
  for (const entry of noProxy.split(/[\s,]+/)) {
    if (entry === '' || entry === '*') continue;
    // `[v6]` or `[v6]:port` → v6; `host:port` → host; a bare IPv6 address stays as it is.
    const bracketed = /^\[(.*)\](?::\d+)?$/.exec(entry);
    const host = bracketed ? bracketed[1]! : entry.split(':').length === 2 ? entry.split(':')[0]! : entry;
    hosts.add(host.startsWith('.') ? `*${host}` : host);
  }
  return [...hosts].join('|');
}

function javaToolOptions(
  java: NonNullable<RuntimeFiles['java']>,
  noProxy: string,
  existing: string | undefined,
): string {
  const nonProxy = javaNonProxyHosts(noProxy);
  const props: Record<string, string> = {
    'http.proxyHost': java.proxyHost,
    'http.proxyPort': String(java.proxyPort),
    'https.proxyHost': java.proxyHost,
    'https.proxyPort': String(java.proxyPort),
    'http.nonProxyHosts': nonProxy,
    // Java refuses Basic proxy authentication for CONNECT unless this list is emptied; the relay
    // needs none, but a Java agent pointed at the gateway itself (`tameflare env`) does.
    'jdk.http.auth.tunneling.disabledSchemes': '',
    'jdk.http.auth.proxying.disabledSchemes': '',
  };
  if (java.trustStore) {
    props['javax.net.ssl.trustStore'] = java.trustStore;
    props['javax.net.ssl.trustStorePassword'] = JAVA_TRUST_STORE_PASSWORD;
  }
  const ours = Object.entries(props).map(([k, v]) => quoteJavaOption(`-D${k}=${v}`));
  // Later -D options win, so ours go last (a nested run's own last of all).
  const kept = (existing ?? '').trim();
  return [kept, ...ours].filter(Boolean).join(' ');
}

// The JVM splits JAVA_TOOL_OPTIONS on white space and honours double quotes around a value.
function quoteJavaOption(option: string): string {
  return /\s/.test(option) ? `"${option}"` : option;
}
