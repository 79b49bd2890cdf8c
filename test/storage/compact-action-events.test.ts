// Compact action events (issue 17 item 2) in a real daemon (`serve --role=all`): each proxied
// request's `action.*` event keeps who, what and the decision and refers to its traffic_log row
// (`traffic_id`) instead of copying it, and stores no previous hash (it is implied). What depends on
// the events still holds: the seed's count check, `tameflare logs` (completed from the gateway's
// row: method, path, status, reasons, parameters), `audit verify` and `audit export` (links filled
// in), a row the gateway no longer holds (`details: "unavailable"`), and tampering with compact
// events (an edit, a deletion, a reordering) is named as such.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficEntry } from '../../src/wire/traffic.js';
import { cliFor, eventually, json } from '../cli/cli-harness.js';
import { createFakeUpstream } from '../helpers/fake-upstream.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';

let work: string;
let server: RunningServer<import('node:https').Server>;
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let agentKey: string;

async function ok(args: string[], opts: Parameters<ReturnType<typeof cliFor>>[1] = {}) {
  const r = await cli(args, opts);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

function sqlite(db: 'local.db' | 'gateway.db', statement: string): string {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', join(daemon.dataDir, db), statement], {
    encoding: 'utf8',
  }).trim();
}

/** Asynchronous: the upstream answering it runs in this process. */
async function curl(...args: string[]): Promise<string> {
  const proxy = `http://compact-bot:${agentKey}@127.0.0.1:${new URL(daemon.gatewayUrl).port}`;
  const run = promisify(execFile);
  return (await run('curl', ['-sS', '--cacert', join(work, 'ca.pem'), '-x', proxy, ...args])).stdout;
}

async function logs(): Promise<TrafficEntry[]> {
  const r = await ok(['logs', '--last', '100', '--json']);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TrafficEntry);
}

interface Verify {
  ok: boolean;
  first_bad: { id: number; problem: string; reason: string } | null;
}
async function verify(): Promise<Verify> {
  return json<Verify>(await cli(['audit', 'verify', '--json']));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-compact-'));
  const ca = await createTestCa();
  writeFileSync(join(work, 'upstream-ca.pem'), ca.certPem);
  server = await startHttpsServer(createFakeUpstream('api.github.com').handler, {
    hosts: ['api.github.com'],
    ca,
  });
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  daemon = await startDaemonProcess({
    dataDir,
    args: [
      '--upstream-ca',
      join(work, 'upstream-ca.pem'),
      '--connect-to',
      `api.github.com:443:127.0.0.1:${server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
  });
  cli = cliFor(daemon);
  agentKey = json<{ key: string }>(await ok(['agent', 'add', 'compact-bot', '--json'])).key;
  await ok(['connector', 'add', 'github', '--token-stdin'], { input: 'ghp_compact_events_test_token_0000' });
  await ok(['permissions', 'preset', '--agent', 'compact-bot', '--connector', 'github', 'allow-all']);
  await ok([
    'permissions',
    'set',
    '--agent',
    'compact-bot',
    '--connector',
    'github',
    '--action',
    'github.repo.delete',
    '--decision',
    'deny',
  ]);
  writeFileSync(join(work, 'ca.pem'), readFileSync(join(daemon.dataDir, 'ca.crt')));
  for (let i = 0; i < 4; i++) await curl(`https://api.github.com/repos/octo/compact-${i}?page=2`);
  await curl('-X', 'DELETE', 'https://api.github.com/repos/octo/doomed');
  await eventually(logs, (entries) => entries.length >= 5, 'the five requests reach the audit log');
}, 90_000);

afterAll(async () => {
  await daemon?.stop();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('compact action events', () => {
  it('refer to their traffic row and keep only what the ledger needs; the seed counts agree', () => {
    const rows = sqlite(
      'local.db',
      "SELECT details || '|' || coalesce(prev_hash, 'NULL') FROM audit_events WHERE event_type LIKE 'action.%' ORDER BY id",
    ).split('\n');
    expect(rows).toHaveLength(5);
    const trafficIds = sqlite('gateway.db', 'SELECT id FROM traffic_log ORDER BY id').split('\n').map(Number);
    rows.forEach((line, i) => {
      const [details, prev] = line.split('|');
      expect(prev).toBe('NULL');
      expect(Object.keys(JSON.parse(details!)).sort()).toEqual(
        i < 4 ? ['decision', 'gateway', 'traffic_id'] : ['code', 'decision', 'gateway', 'traffic_id'],
      );
      expect(JSON.parse(details!)).toMatchObject({ gateway: 'default', traffic_id: trafficIds[i] });
      expect(details!.length).toBeLessThan(100);
    });
    // The seed's count check (architecture page): traffic rows = action events.
    expect(sqlite('gateway.db', "SELECT COUNT(*) FROM traffic_log WHERE created_at > date('now')")).toBe(
      sqlite(
        'local.db',
        "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'action.%' AND created_at > date('now')",
      ),
    );
  });

  it('are listed with the request as the gateway logged it', async () => {
    const entries = await logs();
    expect(entries[0]).toMatchObject({
      event_type: 'action.allowed',
      agent: 'compact-bot',
      action: 'github.repo.get',
      decision: 'allow',
      method: 'GET',
      host: 'api.github.com',
      path: '/repos/octo/compact-0?page',
      status: 200,
      params: { owner: 'octo', repo: 'compact-0' },
      traffic_id: expect.any(Number),
    });
    expect(entries[0]!.request_id).toMatch(/./);
    expect(entries[0]!.details).toBeUndefined();
    expect(entries[4]).toMatchObject({
      event_type: 'action.denied',
      action: 'github.repo.delete',
      decision: 'deny',
      method: 'DELETE',
      status: 403,
      reason: expect.stringMatching(/./),
    });
  });

  it('filter on parameters, which live in the gateway rows', async () => {
    const r = await ok(['logs', '--param', 'repo=compact-2', '--json']);
    const entries = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as TrafficEntry);
    expect(entries.map((e) => e.path)).toEqual(['/repos/octo/compact-2?page']);
  });

  it('verify, and export with every link filled in', async () => {
    expect(await verify()).toMatchObject({ ok: true, first_bad: null });
    const exported = (await ok(['audit', 'export'])).stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { id: number; prev_hash: string | null; hash: string });
    for (let i = 1; i < exported.length; i++) expect(exported[i]!.prev_hash).toBe(exported[i - 1]!.hash);
  });

  it('an edit, a deletion and a reordering of compact events are each found and named', async () => {
    const ids = sqlite('local.db', "SELECT id FROM audit_events WHERE event_type LIKE 'action.%' ORDER BY id")
      .split('\n')
      .map(Number);
    const [a, b, c] = ids as [number, number, number];
    // An edit: the decision of an allowed request rewritten.
    const original = sqlite('local.db', `SELECT details FROM audit_events WHERE id = ${b}`);
    sqlite('local.db', `UPDATE audit_events SET details = replace(details, 'allow', 'deny') WHERE id = ${b}`);
    expect(await verify()).toMatchObject({ ok: false, first_bad: { id: b, problem: 'altered' } });
    sqlite('local.db', `UPDATE audit_events SET details = '${original}' WHERE id = ${b}`);
    expect(await verify()).toMatchObject({ ok: true });

    // A reordering: two events' contents swapped (ids kept).
    const cols = 'event_type, actor, subject, details, created_at, prev_hash, hash';
    sqlite(
      'local.db',
      `CREATE TEMP TABLE t AS SELECT * FROM audit_events WHERE id IN (${b}, ${c});
       UPDATE audit_events SET (${cols}) = (SELECT ${cols} FROM t WHERE t.id = ${c}) WHERE id = ${b};
       UPDATE audit_events SET (${cols}) = (SELECT ${cols} FROM t WHERE t.id = ${b}) WHERE id = ${c};`,
    );
    expect(await verify()).toMatchObject({ ok: false, first_bad: { id: b, problem: 'reordered' } });
    sqlite(
      'local.db',
      `CREATE TEMP TABLE t AS SELECT * FROM audit_events WHERE id IN (${b}, ${c});
       UPDATE audit_events SET (${cols}) = (SELECT ${cols} FROM t WHERE t.id = ${c}) WHERE id = ${b};
       UPDATE audit_events SET (${cols}) = (SELECT ${cols} FROM t WHERE t.id = ${b}) WHERE id = ${c};`,
    );
    expect(await verify()).toMatchObject({ ok: true });

    // A deletion in the middle of the chain.
    sqlite('local.db', `DELETE FROM audit_events WHERE id = ${b}`);
    const deleted = await verify();
    expect(deleted).toMatchObject({ ok: false, first_bad: { id: b, problem: 'deleted' } });
    expect(a).toBeLessThan(b);
  });

  it('an event whose row the gateway no longer holds is listed with what the ledger keeps', async () => {
    const entries = await logs();
    const doomed = entries.find((e) => e.action === 'github.repo.delete')!;
    sqlite('gateway.db', `DELETE FROM traffic_log WHERE id = ${doomed.traffic_id}`);
    const after = (await logs()).find((e) => e.id === doomed.id);
    expect(after).toMatchObject({
      agent: 'compact-bot',
      action: 'github.repo.delete',
      decision: 'deny',
      method: null,
      path: null,
      details: 'unavailable',
    });
  });
});
