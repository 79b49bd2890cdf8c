// The shipped daemon with TAMEFLARE_DATABASE_URL: the control plane keeps its state on PostgreSQL
// (no local.db), /health and `tameflare status` name the database and whether it answers, an outage
// of the database server degrades the control plane only (the gateway, on its own SQLite, stays ok,
// as in the seed's independence table), and a bad or unreachable URL stops start-up with one line
// that never shows the password. The test runs its own server, so stopping it disturbs no other test.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTameflare } from '../helpers/cli-process.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres-schema.js';
import {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from '../helpers/postgres-server.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

async function json(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.skipIf(postgresUnavailableReason())('serve with TAMEFLARE_DATABASE_URL', () => {
  let server: PostgresServer;
  let schema: TestSchema;
  let d: DaemonProcess;
  beforeAll(async () => {
    server = startPostgresServer();
    schema = await createTestSchema(server.url);
    d = await startDaemonProcess({ env: { TAMEFLARE_DATABASE_URL: schema.url } });
  });
  afterAll(async () => {
    await d?.stop();
    server?.destroy();
  });

  it('keeps the control plane on PostgreSQL and says so on /health and in status', async () => {
    const { status, body } = await json(`${d.controlUrl}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', database: 'ok', database_kind: 'postgres' });
    expect(existsSync(join(d.dataDir, 'local.db'))).toBe(false);
    expect(existsSync(join(d.dataDir, 'gateway.db'))).toBe(true); // the gateway stays on SQLite

    const token = readFileSync(join(d.dataDir, 'cli.token'), 'utf8').trim();
    const added = await fetch(`${d.controlUrl}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pg-bot' }),
    });
    expect(added.status).toBe(201);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const rows = await client.query("select name from agents where name = 'pg-bot'");
      expect(rows.rows).toEqual([{ name: 'pg-bot' }]);
      const events = await client.query(
        "select count(*)::int as n from audit_events where event_type = 'agent.created'",
      );
      expect(events.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }

    const st = await runTameflare(['status', '--url', d.controlUrl, '--gateway-url', d.gatewayUrl], {
      env: { TAMEFLARE_TOKEN: token },
    });
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/control plane .* database postgres ok/);
  });

  it('reports an outage of the database server on the control plane only, and recovers', async () => {
    server.stop();
    try {
      const down = await json(`${d.controlUrl}/health`);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'degraded', database: 'error', database_kind: 'postgres' });
      const gateway = await json(`${d.gatewayUrl}/health`);
      expect(gateway.status).toBe(200);
      expect(gateway.body.status).toBe('ok');
      const st = await runTameflare(['status', '--url', d.controlUrl, '--gateway-url', d.gatewayUrl]);
      expect(st.code).toBe(1);
      expect(st.stdout).toMatch(/database postgres error/);
    } finally {
      server.start();
    }
    const up = await json(`${d.controlUrl}/health`);
    expect(up.body).toMatchObject({ status: 'ok', database: 'ok' });
  });
});

describe('serve with a TAMEFLARE_DATABASE_URL it cannot use', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-pg-bad-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a URL of another kind in one line naming the variable, without its password', async () => {
    const r = await runTameflare(['serve', '--data-dir', dir, '--port', '0', '--gateway-port', '0'], {
      env: { TAMEFLARE_DATABASE_URL: 'mysql://app:hunter2secret@db.internal/tameflare' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('TAMEFLARE_DATABASE_URL');
    expect(r.stderr).toContain('only postgres://');
    expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2secret');
  });

  it('stops start-up when the server does not answer, naming it without the password', async () => {
    // A socket directory where no server listens: refused at once, whatever the machine.
    const url = `postgres://app:hunter2secret@localhost/tameflare?host=${encodeURIComponent(dir)}`;
    const r = await runTameflare(['serve', '--data-dir', dir, '--port', '0', '--gateway-port', '0'], {
      env: { TAMEFLARE_DATABASE_URL: url },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot use the database postgres://unix:');
    expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2secret');
  });
});
