// Everything an agent's process needs to go through the gateway, for `tameflare run` (a child started
// now) and `tameflare env` (variables printed for later): the proxy and CA variables
// (proxy-env.ts), plus the files and helpers of runtimes that need more (runtime-env.ts): Python's
// sitecustomize, a wgetrc, a PHP ini directory, and for Java a trust store and, under `run`, a
// loopback relay that adds the proxy credential Java cannot send.
//
// Threat model: files written here hold no secret (the credential travels in the proxy variables
// only); `run` keeps them in a 0700 temporary directory removed when the child ends, `env` in the
// data directory, where they must outlive the command. The relay is described in credential-relay.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CredentialRelay, startCredentialRelay } from './credential-relay.js';
import { javaTrustStore, which } from './java-trust-store.js';
import { buildAgentEnvironment } from './proxy-env.js';
import { type RuntimeFiles, runtimeVariables } from './runtime-env.js';
import { writeRuntimeFiles } from './runtime-files.js';

export interface AgentEnvironmentOptions {
  proxyUrl: string;
  caCertPath: string;
  caBundlePath: string;
  /** The built preload (`dist/src/agent-env/preload.cjs`); the packaged assets sit beside it. */
  preloadPath: string;
  /** The data directory: `env` keeps its files there, and Java's trust store is cached there. */
  stateDir: string;
  baseEnv: Record<string, string | undefined>;
  purpose: 'run' | 'env';
  /** One line for the operator when something optional (Java's trust store) cannot be made. */
  warn(message: string): void;
}

export interface AgentEnvironment {
  /** The variables to add to (or override in) the agent's environment. */
  vars: Record<string, string>;
  /** Stops the relay and removes the run's files; a no-op for `env`. */
  close(): Promise<void>;
}

export async function prepareAgentEnvironment(opts: AgentEnvironmentOptions): Promise<AgentEnvironment> {
  const base = buildAgentEnvironment(opts);
  const runDir =
    opts.purpose === 'run'
      ? await mkdtemp(join(opts.baseEnv['TMPDIR'] ?? tmpdir(), 'tameflare-run-'))
      : undefined;
  let relay: CredentialRelay | undefined;
  const close = async () => {
    await relay?.close();
    if (runDir) await rm(runDir, { recursive: true, force: true });
  };
  try {
    const files: RuntimeFiles = await writeRuntimeFiles({
      dir: runDir ?? join(opts.stateDir, 'agent-env'),
      assetsDir: join(dirname(opts.preloadPath), 'assets'),
      caBundlePath: opts.caBundlePath,
      baseEnv: opts.baseEnv,
    });
    if (await which('java', opts.baseEnv['PATH'])) {
      files.java = await javaSetup(opts, runDir);
      // A proxy that needs no credential (`run --isolate`'s bridge) needs no relay to add one.
      if (opts.purpose === 'run' && new URL(opts.proxyUrl).password !== '') {
        relay = await startCredentialRelay(opts.proxyUrl);
        files.java = { ...files.java, proxyHost: relay.host, proxyPort: relay.port };
      }
    }
    const vars = {
      ...base,
      ...runtimeVariables({
        files,
        caCertPath: opts.caCertPath,
        noProxy: base['NO_PROXY']!,
        baseEnv: opts.baseEnv,
      }),
    };
    return { vars, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Java straight at the gateway (no credential: see docs/agents.md), trusting a store with our CA. */
async function javaSetup(
  opts: AgentEnvironmentOptions,
  runDir: string | undefined,
): Promise<NonNullable<RuntimeFiles['java']>> {
  const gateway = new URL(opts.proxyUrl);
  const java = {
    proxyHost: gateway.hostname.replace(/^\[(.*)\]$/, '$1'),
    proxyPort: Number(gateway.port) || 80,
  };
  const attempt = (cacheDir: string) =>
    javaTrustStore({ caCertPath: opts.caCertPath, cacheDir, path: opts.baseEnv['PATH'] });
  try {
    const trustStore = await attempt(opts.stateDir).catch((err: NodeJS.ErrnoException) => {
      // A data directory this user cannot write: make one for this run only.
      if (runDir && (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'))
        return attempt(runDir);
      throw err;
    });
    if (!trustStore) opts.warn('Java will not trust the gateway: no keytool or cacerts next to `java`');
    return trustStore ? { ...java, trustStore } : java;
  } catch (err) {
    opts.warn(
      `Java will not trust the gateway: cannot make its trust store (${(err as Error).message.split('\n')[0]})`,
    );
    return java;
  }
}
