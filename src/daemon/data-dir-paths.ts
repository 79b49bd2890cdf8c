// Where each file of the data directory lives. Kept apart from the code that creates them, so
// commands that only need a path (the CLI token, the CA) start without loading crypto libraries.
import { join, resolve } from 'node:path';
import { DEFAULTS } from '../config/config.js';

export interface DataDirPaths {
  dir: string;
  localDb: string;
  gatewayDb: string;
  caCert: string;
  caKey: string;
  caBundle: string;
  masterKey: string;
  signingKey: string;
  cliToken: string;
  configYaml: string;
}

/**
 * The data directory a command works in: --data-dir, else TAMEFLARE_DATA_DIR (an empty one counts
 * as unset, as in resolveConfig), else the default. The one place the CLI decides it.
 */
export function resolveDataDir(flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag ?? (env.TAMEFLARE_DATA_DIR || DEFAULTS.dataDir);
}

export function dataDirPaths(dir: string): DataDirPaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    localDb: join(abs, 'local.db'),
    gatewayDb: join(abs, 'gateway.db'),
    caCert: join(abs, 'ca.crt'),
    caKey: join(abs, 'ca.key'),
    caBundle: join(abs, 'ca-bundle.pem'),
    masterKey: join(abs, 'master.key'),
    signingKey: join(abs, 'signing.key'),
    cliToken: join(abs, 'cli.token'),
    configYaml: join(abs, 'config.yaml'),
  };
}
