// `tameflare audit list | verify | export` against a real daemon; verify after the sqlite3 tool
// edited the daemon's own local.db.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { cliFor, json } from './cli-harness.js';

let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  daemon = await startDaemonProcess();
  cli = cliFor(daemon);
  // Through the API rather than three CLI processes: this file is about `audit`, and start-up is slow enough.
  const token = readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim();
  for (const name of ['a-bot', 'b-bot', 'c-bot']) {
    const res = await fetch(`${daemon.controlUrl}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await daemon?.stop();
});

describe('audit', () => {
  it('list shows events newest first, filtered, with a cursor for more', async () => {
    const run = await cli(['audit', 'list', '--type', 'agent.*', '--limit', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ *ID +TIME +TYPE +ACTOR +SUBJECT\n/);
    const lines = run.stdout.trimEnd().split('\n').slice(1);
    expect(lines.map((l) => l.trim().split(/ +/).at(-1))).toEqual(['agent:c-bot', 'agent:b-bot']);
    const cursor = /--cursor (\S+)/.exec(run.stderr)?.[1];
    expect(cursor, run.stderr).toBeDefined();
    const next = json<{ events: { subject: string }[]; next_cursor: string | null }>(
      await cli(['audit', 'list', '--type', 'agent.*', '--limit', '2', '--cursor', cursor!, '--json']),
    );
    expect(next.events.map((e) => e.subject)).toEqual(['agent:a-bot']);
    expect(next.next_cursor).toBeNull();
    const bad = await cli(['audit', 'list', '--since', 'last tuesday']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/invalid --since/)]);
  });

  it('export writes JSONL or CSV, to stdout or a new 0600 file', async () => {
    const jsonl = await cli(['audit', 'export', '--since', '1d']);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const events = jsonl.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_type: string });
    expect(events.map((e) => e.event_type)).toEqual(
      expect.arrayContaining(['user.created', 'agent.created']),
    );
    const file = join(daemon.dataDir, 'export.csv');
    const csv = await cli([
      'audit',
      'export',
      '--format',
      'csv',
      '--type',
      'agent.created',
      '--output',
      file,
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(readFileSync(file, 'utf8').split('\r\n').slice(0, 2)).toEqual([
      'id,created_at,event_type,actor,subject,details,prev_hash,hash',
      expect.stringMatching(/^\d+,[^,]+,agent\.created,token:cli \(local\),agent:a-bot,/),
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await cli(['audit', 'export', '--output', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^tameflare: export failed: .*EEXIST/);
  });

  it('verify exits 0 on an intact chain and 1, naming the event, after the file was edited', async () => {
    const okRun = await cli(['audit', 'verify']);
    expect(okRun.code, okRun.stderr).toBe(0);
    expect(okRun.stdout).toMatch(/^audit chain OK: \d+ events verified\nhead: event #\d+ [0-9a-f]{64}\n$/);
    const id = execFileSync(
      'sqlite3',
      [join(daemon.dataDir, 'local.db'), "SELECT id FROM audit_events WHERE subject = 'agent:b-bot'"],
      { encoding: 'utf8' },
    ).trim();
    execFileSync('sqlite3', [
      '-cmd',
      '.timeout 5000',
      join(daemon.dataDir, 'local.db'),
      `UPDATE audit_events SET subject = 'agent:z-bot' WHERE id = ${id}`,
    ]);
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(
      `tameflare: audit chain BROKEN at event #${id} (agent.created, ${broken.stderr.match(/, (\S+)\)/)?.[1]}): altered: its content does not match its hash\n`,
    );
    const asJson = await cli(['audit', 'verify', '--json']);
    expect(asJson.code).toBe(1);
    expect(json<{ ok: boolean; first_bad: { id: number } }>(asJson)).toMatchObject({
      ok: false,
      first_bad: { id: Number(id) },
    });
  });
});
