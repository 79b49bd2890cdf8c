// Threat model: `run`, `env` and `ca` tell agent processes which CA to trust, so the file they point
// at must be the agent's own gateway's CA and nothing else. It comes from the control plane (the
// CLI's authenticated API), which holds what the gateway registered over its own authenticated link:
// the PEM and the fingerprint computed then. Before the CLI writes or uses a CA it checks that the
// PEM is one CA certificate with exactly that fingerprint; a cached copy is used only while its
// fingerprint is still the registered one, and a change is replaced and said out loud.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirPaths } from '../daemon/data-dir-paths.js';
import { buildCaBundle } from '../trust/ca-bundle.js';
import { caFingerprint, checkGatewayCa, normalizeFingerprint } from '../trust/gateway-ca.js';
import type { GatewayAnswer, GatewayList } from '../wire/gateways.js';
import type { ApiClient } from './api-client.js';
import { segment } from './api-options.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { escapeControl } from './format-table.js';

export interface GatewayTrust {
  gateway: string;
  /** The CA alone (NODE_EXTRA_CA_CERTS) and system roots plus the CA (SSL_CERT_FILE and friends). */
  caCertPath: string;
  caBundlePath: string;
  fingerprint: string;
  /** `data-dir`: this data directory's own CA is that gateway's; `cache`: a verified copy. */
  source: 'data-dir' | 'cache';
}

/** The CA files of gateway `name`, fetched through the control plane, verified, cached. */
export async function gatewayTrust(
  ctx: CliContext,
  api: ApiClient,
  dataDir: string,
  name: string,
): Promise<GatewayTrust> {
  const { gateway } = await api.request<GatewayAnswer>('GET', `/v1/gateways/${segment(name)}`);
  if (!gateway.ca_pem || !gateway.ca_fingerprint) {
    throw new CliError(
      `gateway ${escapeControl(name)} has not registered its CA with the control plane yet: is it running with CONTROL_PLANE_URL? (see \`tameflare gateway list\`)`,
    );
  }
  return trustFiles(ctx, dataDir, name, gateway.ca_pem, gateway.ca_fingerprint);
}

/**
 * Which gateway's CA to show when none is named: the one whose CA this data directory holds, else
 * the only registered one. Undefined when none has registered.
 */
export async function soleGateway(
  api: ApiClient,
  localFingerprint: string | undefined,
): Promise<string | undefined> {
  const { gateways } = await api.request<GatewayList>('GET', '/v1/gateways');
  const registered = gateways.filter((g) => g.ca_fingerprint);
  const local = registered.find((g) => g.ca_fingerprint === localFingerprint);
  if (local) return local.name;
  if (registered.length <= 1) return registered[0]?.name;
  throw new CliError(
    `several gateways are registered (${registered.map((g) => escapeControl(g.name)).join(', ')}): pass --gateway NAME or --agent NAME`,
    2,
  );
}

/** The fingerprint of this data directory's own CA, if it has one. */
export function localCaFingerprint(dataDir: string): string | undefined {
  const file = dataDirPaths(dataDir).caCert;
  if (!existsSync(file)) return undefined;
  try {
    return caFingerprint(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function trustFiles(
  ctx: CliContext,
  dataDir: string,
  name: string,
  pem: string,
  fingerprint: string,
): GatewayTrust {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name))
    throw new CliError(`invalid gateway name ${JSON.stringify(name)}`);
  const checked = checkGatewayCa(pem, fingerprint);
  if (!checked.ok) {
    throw new CliError(`refusing the CA the control plane gave for gateway ${name}: ${checked.reason}`);
  }
  const fp = normalizeFingerprint(fingerprint);
  const paths = dataDirPaths(dataDir);
  // Same host as the gateway (or `serve --role=all`): its own files, so nothing is copied.
  if (localCaFingerprint(dataDir) === fp && existsSync(paths.caBundle)) {
    return {
      gateway: name,
      caCertPath: paths.caCert,
      caBundlePath: paths.caBundle,
      fingerprint: fp,
      source: 'data-dir',
    };
  }
  const dir = join(paths.dir, 'gateways', name);
  const caCertPath = join(dir, 'ca.crt');
  const caBundlePath = join(dir, 'ca-bundle.pem');
  let cached: string | undefined;
  try {
    cached = caFingerprint(readFileSync(caCertPath, 'utf8'));
  } catch {
    cached = undefined;
  }
  if (cached !== fp || !existsSync(caBundlePath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Bundle first, certificate last: a cache with a current ca.crt always has its bundle.
    writeAtomically(caBundlePath, buildCaBundle(checked.certPem));
    writeAtomically(caCertPath, checked.certPem);
    if (cached !== undefined && cached !== fp) {
      ctx.stderr.write(
        `tameflare: note: gateway ${name}'s CA changed (${cached} -> ${fp}); the cached copy in ${dir} is replaced\n`,
      );
    }
  }
  return { gateway: name, caCertPath, caBundlePath, fingerprint: fp, source: 'cache' };
}

/**
 * The trust files as an isolated child can read them. `run --isolate` covers the data directory
 * but for its own top-level certificates, so a cached copy of another gateway's CA (under
 * `gateways/NAME/`) is copied for the run into a directory of its own outside it; `close` removes it.
 */
export function trustVisibleInside(trust: GatewayTrust): GatewayTrust & { close(): void } {
  if (trust.source === 'data-dir') return { ...trust, close() {} };
  const dir = mkdtempSync(join(tmpdir(), 'tameflare-gateway-ca-'));
  const caCertPath = join(dir, 'ca.crt');
  const caBundlePath = join(dir, 'ca-bundle.pem');
  copyFileSync(trust.caBundlePath, caBundlePath);
  copyFileSync(trust.caCertPath, caCertPath);
  return {
    ...trust,
    caCertPath,
    caBundlePath,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Readers never see half a file: written beside it, then renamed over it. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}
