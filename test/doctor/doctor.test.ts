// `tameflare doctor` against the real daemon: on this machine every runtime it finds works (the ones
// not installed are reported as not found, never as passed); with a CA the clients do not trust, or
// with no daemon at all, it fails and names the fix.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, json } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa } from '../helpers/test-ca.js';

interface Report {
  ok: boolean;
  checks: Array<{ check: string; status: string; detail: string; fix?: string }>;
  runtimes: Array<{
    runtime: string;
    library: string;
    status: string;
    routed?: boolean;
    intercepted?: boolean;
    ca_trusted?: boolean | null;
    denial_readable?: boolean | null;
    fix?: string;
  }>;
}

const AGENT = 'doctor-bot';
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let work: string;
let fewTools: string;
let stopped = false;

/** A PATH holding only node and curl: every other runtime is missing. */
function pathWithOnly(dir: string, tools: Record<string, string>): string {
  for (const [name, target] of Object.entries(tools)) symlinkSync(target, join(dir, name));
  return dir;
}

beforeAll(async () => {
  daemon = await startDaemonProcess();
  cli = cliFor(daemon);
  const added = await cli(['agent', 'add', AGENT, '--json']);
  expect(added.code, added.stderr).toBe(0);
  work = mkdtempSync(join(tmpdir(), 'tf-doctor-'));
  const curl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
  fewTools = pathWithOnly(mkdtempSync(join(work, 'bin-')), { node: process.execPath, curl });
}, 120_000);

afterAll(async () => {
  if (!stopped) await daemon?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('tameflare doctor', () => {
  it('on this machine: every runtime found is routed, intercepted, trusts the CA and shows denials', async () => {
    // Every runtime of the machine, two probes each: minutes on a loaded machine.
    const r = await cli(['doctor', '--agent', AGENT, '--json'], { timeoutMs: 220_000 });
    const report = json<Report>(r);
    const failed = report.runtimes.filter((x) => x.status === 'failed');
    expect(failed, r.stdout).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    expect(report.ok).toBe(true);
    for (const c of report.checks)
      expect(['ok', 'unavailable'], `${c.check}: ${c.detail}`).toContain(c.status);
    const curl = report.runtimes.find((x) => x.runtime === 'curl');
    expect(curl).toMatchObject({
      status: 'ok',
      routed: true,
      intercepted: true,
      ca_trusted: true,
      denial_readable: true,
    });
    // Node's own fetch is always there.
    expect(report.runtimes.find((x) => x.runtime === 'node' && x.library === 'fetch')?.status).toBe('ok');
    // The probes are traffic rows of the agent, refused and allowed.
    const logs = await cli(['logs', '--agent', AGENT, '--last', '100', '--json']);
    expect(logs.stdout).toContain('doctor.deny');
    expect(logs.stdout).toContain('doctor.probe');
  }, 240_000);

  it('a runtime that is not installed is reported as not found, not as passed', async () => {
    const r = await cli(['doctor', '--agent', AGENT, '--json'], {
      env: { PATH: fewTools },
      timeoutMs: 100_000,
    });
    const report = json<Report>(r);
    expect(r.code, r.stdout).toBe(0);
    const python = report.runtimes.filter((x) => x.runtime === 'python3');
    expect(python.length).toBeGreaterThan(0);
    for (const p of python) {
      expect(p.status).toBe('not_found');
      expect(p.routed).toBeUndefined();
    }
    expect(report.runtimes.find((x) => x.runtime === 'git')?.status).toBe('not_found');
    expect(report.runtimes.find((x) => x.runtime === 'curl')?.status).toBe('ok');
  }, 120_000);

  it('without an agent, only the set-up is checked and the text says how to probe', async () => {
    const r = await cli(['doctor'], { env: { PATH: fewTools }, timeoutMs: 100_000 });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('pass --agent NAME');
    expect(r.stdout).toMatch(/^ok +gateway +http:\/\/127\.0\.0\.1:\d+/m);
  });

  it('a client that does not trust the CA: fails, naming where that client takes its CA from', async () => {
    // A ~/.curlrc with another CA: its `cacert` wins over the CURL_CA_BUNDLE `run` sets.
    const home = mkdtempSync(join(work, 'home-'));
    const other = join(home, 'other-ca.pem');
    writeFileSync(other, (await createTestCa()).certPem);
    writeFileSync(join(home, '.curlrc'), `cacert = "${other}"\n`);
    const r = await cli(['doctor', '--agent', AGENT], {
      env: { PATH: fewTools, HOME: home },
      timeoutMs: 100_000,
    });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^curl +curl +yes +NO +NO +-$/m);
    expect(r.stdout).toMatch(
      /curl curl: does not trust the gateway's CA[^\n]*\n +fix: curl reads CURL_CA_BUNDLE: look for `cacert`/,
    );
    expect(r.stdout).toMatch(/^node +fetch +yes +yes +yes +yes$/m);
    expect(r.stdout).toContain('doctor: some checks failed');
  }, 120_000);

  it('the daemon down: fails, saying what to start', async () => {
    stopped = true;
    await daemon.stop();
    const r = await cli(['doctor', '--agent', AGENT], { env: { PATH: fewTools }, timeoutMs: 100_000 });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^failed +control plane +http:\/\/127\.0\.0\.1:\d+ does not answer/m);
    expect(r.stdout).toContain('fix: start it (`tameflare serve`)');
  });
});
