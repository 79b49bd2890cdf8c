// `tameflare doctor [--agent NAME] [--json]`: checks the data directory, the CA, the control plane,
// the gateway and `run --isolate`, then, as the agent, probes every runtime and HTTP library found on
// this machine against the gateway's own test host (no outside network): routed, intercepted, CA
// trusted, denial readable, with the fix for each failure. Exit 0 only when everything found works;
// a runtime that is not installed is reported as such, never as passed.
//
// Threat model: the probes run with the environment `run` gives a child (a session key revoked at
// the end, none of the operator's secrets); the test host is answered by the gateway itself, so no
// request leaves the machine and no credential is injected.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { dataDirPaths } from '../../daemon/data-dir-paths.js';
import { addExamples } from '../add-examples.js';
import { fetchGatewayInfo } from '../agent-proxy-urls.js';
import { type ApiClient, resolveApiTarget } from '../api-client.js';
import { addApiOptions, apiClientFor, dataDirOf } from '../api-options.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import {
  type CheckResult,
  checkCa,
  checkControlPlane,
  checkDataDir,
  checkGateway,
  checkIsolationSupport,
} from './doctor-checks.js';
import {
  GO_SOURCE,
  JAVA_SOURCE,
  type ProbeCommand,
  type RuntimeProbe,
  runtimeProbes,
} from './doctor-probes.js';
import { judgeRuntime, type ProbeOutput, type RuntimeVerdict } from './doctor-verdict.js';
import { type AgentSession, agentEnvironment, openAgentSession } from './env-command.js';
import { childEnvironment } from './run-command.js';

export interface RuntimeReport extends Partial<RuntimeVerdict> {
  runtime: string;
  library: string;
  status: 'ok' | 'failed' | 'not_found' | 'skipped';
}

interface DoctorFlags {
  agent?: string;
  key?: string;
  dataDir?: string;
  url?: string;
  token?: string;
  json?: boolean;
}

const PROBE_TIMEOUT_MS = 60_000;
const PARALLEL_PROBES = 3;

function runCommand(c: ProbeCommand, env: Record<string, string>, cwd: string): Promise<ProbeOutput> {
  return new Promise((resolve) => {
    execFile(
      c.file,
      c.args,
      { env, cwd, timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        resolve({ code: missing ? 127 : code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function probeRuntime(
  probe: RuntimeProbe,
  plainEnv: Record<string, string>,
  agentEnv: Record<string, string>,
  cwd: string,
): Promise<RuntimeReport> {
  const head = { runtime: probe.runtime, library: probe.library };
  const present = await runCommand(probe.present, plainEnv, cwd);
  if (present.code !== 0) return { ...head, status: 'not_found' };
  const nonce = randomBytes(9).toString('hex');
  const [ok, deny] = await Promise.all([
    runCommand(probe.ok(nonce), agentEnv, cwd),
    runCommand(probe.deny(), agentEnv, cwd),
  ]);
  const verdict = judgeRuntime(ok, deny, nonce, probe);
  return { ...head, status: verdict.problem ? 'failed' : 'ok', ...verdict };
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function stringEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

async function probeAll(
  ctx: CliContext,
  flags: DoctorFlags,
  session: AgentSession,
): Promise<RuntimeReport[]> {
  const dir = mkdtempSync(join(ctx.env['TMPDIR'] ?? tmpdir(), 'tameflare-doctor-'));
  const files = { java: join(dir, 'DoctorProbe.java'), go: join(dir, 'doctor-probe.go') };
  writeFileSync(files.java, JAVA_SOURCE);
  writeFileSync(files.go, GO_SOURCE);
  const agentEnv = await agentEnvironment(ctx, flags, session, 'run');
  try {
    const childEnv = childEnvironment(ctx.env, agentEnv.vars);
    // Go needs a writable build cache; the user's own is used when it has one.
    childEnv['GOCACHE'] ??= join(dir, 'go-cache');
    const plain = { ...stringEnv(ctx.env), GOCACHE: childEnv['GOCACHE'] };
    return await mapLimited(runtimeProbes(files), PARALLEL_PROBES, (p) =>
      probeRuntime(p, plain, childEnv, process.cwd()),
    );
  } finally {
    await agentEnv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function registerDoctorCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const cmd = addApiOptions(
    program
      .command('doctor')
      .description('check this machine: gateway, CA, and every runtime found, probed as an agent under `run`')
      .option('--agent <name>', 'probe the runtimes as this agent (without it, only the set-up is checked)')
      .option('--key <key>', 'use this agent key (env TAMEFLARE_AGENT_KEY) instead of a session key'),
  ).action(async (flags: DoctorFlags) => {
    const paths = dataDirPaths(dataDirOf(ctx, flags));
    const checks: CheckResult[] = [checkDataDir(paths)];
    const controlUrl = resolveApiTarget(ctx, flags).url;
    const control = await checkControlPlane(controlUrl);
    checks.push(control);
    const api = apiClientFor(ctx, flags);
    let session: AgentSession | undefined;
    if (control.status === 'ok' && flags.agent !== undefined) {
      try {
        session = await openAgentSession(ctx, api, { ...flags, agent: flags.agent });
      } catch (err) {
        checks.push({
          check: `agent ${flags.agent}`,
          status: 'failed',
          detail: (err as Error).message,
          fix: 'check the name (`tameflare agent list`) and the CLI token',
        });
      }
    }
    // The CA the agent's clients are given: its gateway's (verified through the control plane), else
    // this data directory's own.
    checks.push(checkCa(session?.trust.caCertPath ?? paths.caCert, session !== undefined, new Date()));
    if (control.status === 'ok') checks.push(await gatewayCheck(api, session));
    checks.push(await checkIsolationSupport(ctx.env));

    let runtimes: RuntimeReport[] = [];
    try {
      if (session) runtimes = await probeAll(ctx, flags, session);
    } finally {
      await session?.revoke().catch(() => {});
    }
    const ok =
      checks.every((c) => c.status !== 'failed') &&
      runtimes.every((r) => r.status !== 'failed') &&
      (flags.agent === undefined || session !== undefined);
    if (flags.json) printJson(ctx, { ok, agent: flags.agent ?? null, checks, runtimes });
    else printReport(ctx, flags.agent, checks, runtimes, ok);
    setResult(ok ? 0 : 1);
  });
  addExamples(cmd, [
    'tameflare doctor',
    'tameflare doctor --agent support-bot',
    'tameflare doctor --agent ci --json',
  ]);
}

/** The gateway the agent's proxy URL names, else the one the control plane reports. */
async function gatewayCheck(api: ApiClient, session: AgentSession | undefined): Promise<CheckResult> {
  if (session) {
    const u = new URL(session.proxyUrl);
    return checkGateway(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || 80));
  }
  try {
    const info = await fetchGatewayInfo(api, undefined);
    if (info.proxy_host && info.proxy_port) return checkGateway(info.proxy_host, info.proxy_port);
    return {
      check: 'gateway',
      status: 'failed',
      detail: 'the control plane knows no gateway address',
      fix: 'start a gateway linked to this control plane',
    };
  } catch (err) {
    return { check: 'gateway', status: 'failed', detail: (err as Error).message, fix: 'check the CLI token' };
  }
}

const yesNo = (v: boolean | null | undefined) => (v === true ? 'yes' : v === false ? 'NO' : '-');

function printReport(
  ctx: CliContext,
  agent: string | undefined,
  checks: CheckResult[],
  runtimes: RuntimeReport[],
  ok: boolean,
): void {
  for (const c of checks) print(ctx, `${c.status.padEnd(12)}${c.check.padEnd(16)}${c.detail}`);
  print(ctx, '');
  if (agent === undefined) {
    print(ctx, 'runtimes: not probed (pass --agent NAME to probe each runtime as that agent)');
  } else if (runtimes.length > 0) {
    const row = (cells: string[]) => cells.map((c, i) => c.padEnd([9, 20, 8, 13, 12, 0][i] ?? 0)).join('');
    print(
      ctx,
      row(['runtime', 'library', 'routed', 'intercepted', 'CA trusted', 'denial readable']).trimEnd(),
    );
    for (const r of runtimes) {
      if (r.status === 'not_found') print(ctx, row([r.runtime, r.library, 'not found']).trimEnd());
      else
        print(
          ctx,
          row([
            r.runtime,
            r.library,
            yesNo(r.routed),
            yesNo(r.intercepted),
            yesNo(r.ca_trusted),
            yesNo(r.denial_readable),
          ]).trimEnd(),
        );
    }
  }
  const problems = [
    ...checks.filter((c) => c.status !== 'ok').map((c) => ({ what: `${c.check}: ${c.detail}`, fix: c.fix })),
    ...runtimes
      .filter((r) => r.status === 'failed')
      .map((r) => ({ what: `${r.runtime} ${r.library}: ${r.problem}`, fix: r.fix })),
  ];
  if (problems.length > 0) {
    print(ctx, '');
    for (const p of problems) print(ctx, `- ${p.what}${p.fix ? `\n  fix: ${p.fix}` : ''}`);
  }
  print(ctx, '');
  print(ctx, ok ? 'doctor: everything found works' : 'doctor: some checks failed (see the fixes above)');
}
