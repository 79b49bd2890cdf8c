import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isListening, runTameflare } from '../helpers/cli-process.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

async function json(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('serve --role=all', () => {
  let d: DaemonProcess;
  beforeAll(async () => {
    d = await startDaemonProcess();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it("answers the seed's gateway health shape on the gateway port", async () => {
    const { status, body } = await json(`${d.gatewayUrl}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', agents: 0, connectors: 0 });
    expect(Number.isInteger(body.uptime_seconds)).toBe(true);
  });

  it('answers control plane health, including whether the gateway is reachable', async () => {
    const { status, body } = await json(`${d.controlUrl}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', role: 'control', database: 'ok', database_kind: 'sqlite' });
    expect((body.gateway as { reachable: boolean }).reachable).toBe(true);
  });

  it('serves Prometheus metrics on both roles', async () => {
    for (const url of [d.controlUrl, d.gatewayUrl]) {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toMatch(/^# HELP /m);
    }
  });

  it('logs one ready line with the bound addresses, and the configuration without secrets', () => {
    const lines = d
      .logs()
      .split('\n')
      .filter((l) => l.includes('"msg":"ready"'));
    expect(lines).toHaveLength(1);
    expect(d.logs()).toContain('"msg":"configuration"');
  });

  it('keeps /v1 behind a token', async () => {
    expect((await fetch(`${d.controlUrl}/v1/agents`)).status).toBe(401);
    const r = await runTameflare([
      'status',
      '--url',
      d.controlUrl,
      '--gateway-url',
      d.gatewayUrl,
      '--data-dir',
      d.dataDir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/control plane\s+http:\/\/127\.0\.0\.1:\d+\s+ok/);
    expect(r.stdout).toMatch(/gateway\s+http:\/\/127\.0\.0\.1:\d+\s+ok .*agents 0, connectors 0/);
  });

  it("makes the seed's sqlite3 queries work verbatim against the data dir", () => {
    const q = (db: string, sql: string) =>
      execFileSync('sqlite3', [`${d.dataDir}/${db}`, sql], { encoding: 'utf8' }).trim();
    expect(q('gateway.db', "SELECT COUNT(*) FROM traffic_log WHERE created_at > date('now');")).toMatch(
      /^\d+$/,
    );
    expect(
      q(
        'local.db',
        "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%' AND created_at > date('now');",
      ),
    ).toMatch(/^\d+$/);
    expect(
      q(
        'gateway.db',
        "SELECT COUNT(*) FROM traffic_log WHERE decision IS NULL AND created_at > date('now');",
      ),
    ).toBe('0');
    // Bootstrap events are dated today, in the format the seed's date() comparisons expect.
    expect(
      Number(q('local.db', "SELECT COUNT(*) FROM audit_events WHERE created_at > date('now');")),
    ).toBeGreaterThan(0);
  });
});

describe('role selection', () => {
  it('control only: the gateway port stays closed', async () => {
    const gw = await freePort();
    const d = await startDaemonProcess({ args: ['--role', 'control', '--gateway-port', String(gw)] });
    try {
      expect(d.gatewayUrl).toBe('');
      expect((await json(`${d.controlUrl}/health`)).body.status).toBe('ok');
      expect(await isListening(gw)).toBe(false);
    } finally {
      await d.stop();
    }
  });

  it('gateway only: the control port stays closed and the gateway runs on its own', async () => {
    const cp = await freePort();
    const d = await startDaemonProcess({ args: ['--role', 'gateway', '--port', String(cp)] });
    try {
      expect(d.controlUrl).toBe('');
      expect((await json(`${d.gatewayUrl}/health`)).body.status).toBe('ok');
      expect(await isListening(cp)).toBe(false);
    } finally {
      await d.stop();
    }
  });
});

describe('lifecycle and start-up errors', () => {
  it('stops on SIGTERM: stops accepting, closes the databases, exits 0', async () => {
    const d = await startDaemonProcess();
    const port = Number(new URL(d.gatewayUrl).port);
    const { code } = await d.stop();
    expect(code).toBe(0);
    expect(d.logs()).toContain('"msg":"stopped"');
    expect(await isListening(port)).toBe(false);
  });

  it('reports a port in use in one line and exits 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'tf-inuse-'));
      const r = await runTameflare([
        'serve',
        '--data-dir',
        dir,
        '--port',
        String(port),
        '--gateway-port',
        '0',
      ]);
      rmSync(dir, { recursive: true, force: true });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(
        `tameflare: port ${port} is already in use (control plane, --port)`,
      );
    } finally {
      blocker.close();
    }
  });

  it.each([
    {
      args: ['--port', 'abc', '--gateway-port', '0'],
      env: {},
      message: 'invalid port (from --port): must be an integer from 0 to 65535, got "abc"',
    },
    {
      args: ['--port', '0'],
      env: { TAMEFLARE_GATEWAY_PORT: '99999' },
      message: 'invalid gateway_port (from TAMEFLARE_GATEWAY_PORT)',
    },
    {
      args: ['--port', '0', '--gateway-port', '0'],
      env: { AUDIT_RETENTION_DAYS: 'forever' },
      message: 'invalid audit_retention_days (from AUDIT_RETENTION_DAYS)',
    },
    {
      args: ['--role', 'proxy'],
      env: {},
      message: 'invalid role (from --role): must be one of control, gateway, all',
    },
    {
      args: ['--port', '0', '--gateway-port', '0'],
      env: { TAMEFLARE_MASTER_KEY: 'bm90LTMyLWJ5dGVz' },
      message: 'invalid master_key (from TAMEFLARE_MASTER_KEY): must be base64 of 32 bytes',
    },
  ])('refuses bad configuration ($args $env) with one line and exit 2', async ({ args, env, message }) => {
    const dir = `/tmp/tf-badcfg-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const r = await runTameflare(['serve', '--data-dir', dir, ...args], {
      env: env as Record<string, string>,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`tameflare: ${r.stderr.trim().replace(/^tameflare: /, '')}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('bm90LTMyLWJ5dGVz');
  });

  it('refuses an unknown option with exit 2', async () => {
    const r = await runTameflare(['serve', '--prot', '3000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--prot'");
  });
});
