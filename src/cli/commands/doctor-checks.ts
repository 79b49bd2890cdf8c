// The checks of `tameflare doctor` that are not about a runtime: the data directory, the CA
// certificate's validity, the control plane and the gateway (reachable, linked, its proxy port open)
// and whether `run --isolate` can work here. Each says what to do when it fails.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { checkIsolation } from '../../agent-env/isolate/isolation-support.js';
import type { DataDirPaths } from '../../daemon/data-dir-paths.js';
import { probeHealth } from '../api-client.js';

export type CheckStatus = 'ok' | 'warn' | 'failed' | 'unavailable';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  fix?: string | undefined;
}

const DAY_MS = 86_400_000;
/** A CA expiring sooner than this is reported (still working, so not a failure). */
const CA_WARN_DAYS = 30;

export function checkDataDir(paths: DataDirPaths): CheckResult {
  const check = 'data directory';
  try {
    if (!statSync(paths.dir).isDirectory())
      return { check, status: 'failed', detail: `${paths.dir} is not a directory`, fix: 'pass --data-dir' };
  } catch {
    return {
      check,
      status: 'failed',
      detail: `${paths.dir} does not exist`,
      fix: 'run `tameflare init`, or pass --data-dir / TAMEFLARE_DATA_DIR',
    };
  }
  return { check, status: 'ok', detail: paths.dir };
}

export function checkCa(caCertPath: string, forAgent: boolean, now: Date): CheckResult {
  const check = 'CA certificate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(caCertPath));
  } catch (err) {
    if (!forAgent && (err as NodeJS.ErrnoException).code === 'ENOENT')
      return {
        check,
        status: 'unavailable',
        detail: `no CA in this data directory (${caCertPath})`,
        fix: "pass --agent NAME: the agent's gateway CA is fetched through the control plane",
      };
    return {
      check,
      status: 'failed',
      detail: `cannot read ${caCertPath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      fix: "run `tameflare init` on this machine, or copy the gateway's CA here (`tameflare ca pem > ca.crt`)",
    };
  }
  const days = Math.floor((Date.parse(cert.validTo) - now.getTime()) / DAY_MS);
  if (days < 0)
    return {
      check,
      status: 'failed',
      detail: `expired on ${cert.validTo}`,
      fix: 'make a new CA (`tameflare ca` on the gateway) and restart the agents',
    };
  if (days < CA_WARN_DAYS)
    return {
      check,
      status: 'warn',
      detail: `expires in ${days} days (${cert.validTo})`,
      fix: 'renew the CA before it expires',
    };
  return { check, status: 'ok', detail: `valid until ${cert.validTo} (${days} days)` };
}

export async function checkControlPlane(url: string): Promise<CheckResult> {
  const probe = await probeHealth(url);
  if (!probe.reachable)
    return {
      check: 'control plane',
      status: 'failed',
      detail: `${url} does not answer (${probe.error})`,
      fix: 'start it (`tameflare serve`), or pass --url / TAMEFLARE_URL',
    };
  if (probe.body?.['status'] !== 'ok')
    return {
      check: 'control plane',
      status: 'failed',
      detail: `${url}/health: ${JSON.stringify(probe.body)}`,
    };
  return { check: 'control plane', status: 'ok', detail: url };
}

/** The gateway's /health on its proxy port, and that it holds a configuration from the control plane. */
export async function checkGateway(host: string, port: number): Promise<CheckResult> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const probe = await probeHealth(url);
  if (!probe.reachable) {
    const open = await portOpen(host, port);
    return {
      check: 'gateway',
      status: 'failed',
      detail: `${url} ${open ? 'accepts connections but /health does not answer' : `does not answer (${probe.error})`}`,
      fix: open
        ? 'something else listens on the gateway port: check GATEWAY_PORT'
        : 'start the gateway (`tameflare serve`), or check the address the control plane gives for it (`tameflare status`)',
    };
  }
  const body = probe.body ?? {};
  const detail = `${url}, snapshot ${String(body['snapshot_version'] ?? '?')}, ${String(body['agents'] ?? '?')} agents`;
  if (body['status'] !== 'ok')
    return {
      check: 'gateway',
      status: 'failed',
      detail: `${detail}: ${String(body['status'])} ${String(body['db_error'] ?? '')}`.trim(),
      fix: 'see `tameflare logs` and docs/operations.md',
    };
  return { check: 'gateway', status: 'ok', detail };
}

export async function checkIsolationSupport(
  env: Readonly<Record<string, string | undefined>>,
): Promise<CheckResult> {
  const check = 'run --isolate';
  if (process.platform !== 'linux')
    return {
      check,
      status: 'unavailable',
      detail: 'Linux only',
      fix: 'see docs/isolation.md for other platforms',
    };
  const support = await checkIsolation(env);
  if (support.available) return { check, status: 'ok', detail: 'user and network namespaces work here' };
  return { check, status: 'unavailable', detail: support.reason ?? 'not available', fix: support.fix };
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
