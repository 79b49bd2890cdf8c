// /v1/audit against a real control plane: filters, cursor paging, export, and verification of a
// ledger tampered with by the sqlite3 command-line tool on the live database file (edit, delete,
// insert, reorder), each named at the right event; and a chain that still verifies across a
// retention cleanup.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvents, hashEvent, type StoredAuditEvent } from '../../src/audit/ledger.js';
import type { AuditPage, AuditVerification } from '../../src/wire/audit.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

const SECRET = 'maintenance-secret-0123456789';
let h: ControlHarness;
let dbFile: string;
beforeAll(async () => {
  h = await startControlHarness({ env: { MAINTENANCE_SECRET: SECRET, AUDIT_RETENTION_DAYS: '30' } });
  dbFile = join(h.dataDir, 'local.db');
});
afterAll(async () => {
  await h?.close();
});

const day = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * day).toISOString();

/** A known ledger of 12 events (ids 1-12): what every test starts from. */
async function resetLedger(): Promise<StoredAuditEvent[]> {
  await h.db.db.deleteFrom('audit_events').execute();
  await h.db.db.deleteFrom('settings').where('key', '=', 'audit_anchor').execute();
  sqlite("DELETE FROM sqlite_sequence WHERE name = 'audit_events'");
  await appendAuditEvents(h.db.db, [
    { type: 'user.created', actor: 'system', subject: 'user:admin@localhost', createdAt: ago(60) },
    { type: 'agent.created', actor: 'token:cli', subject: 'agent:bot', createdAt: ago(50) },
    {
      type: 'action.allowed',
      actor: 'agent:bot',
      subject: 'github.pr.create',
      details: { agent: 'bot' },
      createdAt: ago(40),
    },
    {
      type: 'action.denied',
      actor: 'agent:bot',
      subject: 'github.repo.delete',
      details: { agent: 'bot' },
      createdAt: ago(20),
    },
    { type: 'policy.created', actor: 'user:ann@example.org', subject: 'policy:refunds', createdAt: ago(10) },
    {
      type: 'action.allowed',
      actor: 'agent:pay',
      subject: 'stripe.refund.create',
      details: { agent: 'pay', amount: 5 },
      createdAt: ago(9),
    },
    { type: 'action.pending_approval', actor: 'agent:bot', subject: 'github.pr.merge', createdAt: ago(8) },
    { type: 'agent.suspended', actor: 'token:cli', subject: 'agent:bot', createdAt: ago(7) },
    { type: 'kill_switch.activated', actor: 'user:ann@example.org', subject: 'all', createdAt: ago(6) },
    {
      type: 'action.denied',
      actor: 'agent:pay',
      subject: 'stripe.charge.create',
      details: { path: '=HYPERLINK("x")' },
      createdAt: ago(5),
    },
    { type: 'kill_switch.deactivated', actor: 'user:ann@example.org', subject: 'all', createdAt: ago(4) },
    {
      type: 'user.role_changed',
      actor: 'user:ann@example.org',
      subject: 'user:bob@example.org',
      createdAt: ago(3),
    },
  ]);
  return h.db.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
}

function sqlite(statement: string): string {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', dbFile, statement], { encoding: 'utf8' });
}

const verify = async () => (await h.api<AuditVerification>('GET', '/v1/audit/verify')).body;
const ids = (p: AuditPage) => p.events.map((e) => e.id);

describe('GET /v1/audit', () => {
  beforeAll(async () => {
    await resetLedger();
  });

  it('answers newest first with every field, details as an object', async () => {
    const res = await h.api<AuditPage>('GET', '/v1/audit?limit=3');
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual([12, 11, 10]);
    expect(res.body.events[2]).toMatchObject({
      event_type: 'action.denied',
      actor: 'agent:pay',
      subject: 'stripe.charge.create',
      details: { path: '=HYPERLINK("x")' },
    });
    expect(res.body.events[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('filters by type (exact and family), actor, agent and time', async () => {
    const q = async (s: string) => ids((await h.api<AuditPage>('GET', `/v1/audit?order=asc&${s}`)).body);
    expect(await q('type=action.*')).toEqual([3, 4, 6, 7, 10]);
    expect(await q('type=action.denied,kill_switch.*')).toEqual([4, 9, 10, 11]);
    expect(await q('type=kill_switch.*')).toEqual([9, 11]);
    expect(await q(`actor=${encodeURIComponent('user:ann@example.org')}`)).toEqual([5, 9, 11, 12]);
    expect(await q('agent=bot')).toEqual([2, 3, 4, 7, 8]);
    expect(await q(`since=${encodeURIComponent(ago(9.5))}&until=${encodeURIComponent(ago(4.5))}`)).toEqual([
      6, 7, 8, 9, 10,
    ]);
    expect(await q(`since=${ago(8.5).slice(0, 10)}&type=agent.*`)).toEqual([8]);
  });

  it('pages with a cursor, both ways, without gaps or repeats', async () => {
    for (const order of ['desc', 'asc'] as const) {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: AuditPage = (
          await h.api<AuditPage>(
            'GET',
            `/v1/audit?limit=5&order=${order}${cursor ? `&cursor=${cursor}` : ''}`,
          )
        ).body;
        seen.push(...ids(page));
        cursor = page.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      const all = Array.from({ length: 12 }, (_, i) => i + 1);
      expect(seen).toEqual(order === 'asc' ? all : all.reverse());
    }
    // A filtered page's cursor stays within the filter.
    const first = (await h.api<AuditPage>('GET', '/v1/audit?type=action.*&limit=2')).body;
    const second = (
      await h.api<AuditPage>('GET', `/v1/audit?type=action.*&limit=2&cursor=${first.next_cursor}`)
    ).body;
    expect([...ids(first), ...ids(second)]).toEqual([10, 7, 6, 4]);
  });

  it('refuses unknown parameters, bad times and forged cursors', async () => {
    for (const q of [
      'mood=1',
      'since=yesterday',
      'limit=0',
      'type=DROP%20TABLE',
      'cursor=bm9wZQ',
      'order=sideways',
    ]) {
      const res = await h.api<{ code: string }>('GET', `/v1/audit?${q}`);
      expect([res.status, res.body.code], q).toEqual([400, 'validation_failed']);
    }
    const asc = (await h.api<AuditPage>('GET', '/v1/audit?limit=1&order=asc')).body.next_cursor;
    expect((await h.api('GET', `/v1/audit?cursor=${asc}`)).status).toBe(400);
  });
});

describe('GET /v1/audit/export', () => {
  beforeAll(async () => {
    await resetLedger();
  });

  async function exportText(q: string) {
    const res = await fetch(`${h.url}/v1/audit/export?${q}`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      disposition: res.headers.get('content-disposition'),
      text: await res.text(),
    };
  }

  it('streams JSONL, oldest first, each line re-verifiable', async () => {
    const r = await exportText('format=jsonl');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/x-ndjson/);
    expect(r.disposition).toMatch(/^attachment; filename="tameflare-audit-.*\.jsonl"$/);
    const lines = r.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredAuditEvent & { details: unknown });
    expect(lines.map((l) => l.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const l of lines)
      expect(hashEvent({ ...l, details: JSON.stringify(l.details) }, l.prev_hash!)).toBe(l.hash);
  });

  it('writes CSV with quoting and a guard against spreadsheet formulas, and honours filters', async () => {
    const r = await exportText(`format=csv&type=action.denied&since=${encodeURIComponent(ago(15))}`);
    expect(r.type).toMatch(/^text\/csv/);
    const rows = r.text.split('\r\n');
    expect(rows[0]).toBe('id,created_at,event_type,actor,subject,details,prev_hash,hash');
    expect(rows).toHaveLength(3); // header, one event, the final empty string
    expect(rows[1]).toMatch(
      /^10,[^,]+,action\.denied,agent:pay,stripe\.charge\.create,"{""path"":""=HYPERLINK\(\\""x\\""\)""}",/,
    );
  });

  it('guards cells that start like a formula', async () => {
    await appendAuditEvents(h.db.db, [{ type: 'agent.created', actor: '=cmd|calc', subject: '@SUM(A1)' }]);
    const r = await exportText('format=csv&type=agent.created');
    expect(r.text).toContain(",'=cmd|calc,'@SUM(A1),");
  });

  it('defaults to JSONL and refuses unknown formats', async () => {
    const plain = await exportText('');
    expect([plain.status, plain.type]).toEqual([200, expect.stringMatching(/^application\/x-ndjson/)]);
    expect((await exportText('format=xml')).status).toBe(400);
  });
});

describe('GET /v1/audit/verify on a tampered database file', () => {
  let rows: StoredAuditEvent[];
  beforeEach(async () => {
    rows = await resetLedger();
  });

  it('passes an untouched chain and reports its head', async () => {
    const v = await verify();
    expect(v).toMatchObject({
      ok: true,
      checked: 12,
      anchor: null,
      first_bad: null,
      head: { id: 12, hash: rows[11]!.hash },
    });
  });

  it('edit: names the edited event', async () => {
    sqlite(`UPDATE audit_events SET details = '{"agent":"bot","amount":1}' WHERE id = 6`);
    expect((await verify()).first_bad).toMatchObject({
      id: 6,
      problem: 'altered',
      event_type: 'action.allowed',
    });
  });

  it('edit with a recomputed hash: names the edited event, by the link after it', async () => {
    const edited = { ...rows[5]!, actor: 'agent:someone-else' };
    sqlite(
      `UPDATE audit_events SET actor = 'agent:someone-else', hash = '${hashEvent(edited, edited.prev_hash!)}' WHERE id = 6`,
    );
    const v = await verify();
    expect(v.first_bad).toMatchObject({ id: 6, problem: 'altered' });
    expect(v.first_bad!.reason).toMatch(/recomputed/);
  });

  it('delete in the middle: names the missing event', async () => {
    sqlite('DELETE FROM audit_events WHERE id = 7');
    const v = await verify();
    expect(v.first_bad).toMatchObject({ id: 7, problem: 'deleted' });
    expect(v.checked).toBe(6);
  });

  it('delete at the end: named by the id high-water mark', async () => {
    sqlite('DELETE FROM audit_events WHERE id >= 11');
    expect((await verify()).first_bad).toMatchObject({ id: 11, problem: 'deleted' });
    expect((await verify()).first_bad!.reason).toMatch(/#11–#12 are missing from the end/);
  });

  it('insert (ids shifted to make room, a well-formed hash): names the inserted event', async () => {
    const forged = {
      event_type: 'action.allowed',
      actor: 'agent:bot',
      subject: 'github.repo.delete',
      details: '{"agent":"bot"}',
      created_at: rows[4]!.created_at,
    };
    const hash = hashEvent(forged, rows[4]!.hash!);
    sqlite(
      'UPDATE audit_events SET id = id + 1000 WHERE id >= 6; UPDATE audit_events SET id = id - 999 WHERE id >= 1006; ' +
        `INSERT INTO audit_events (id, event_type, actor, subject, details, created_at, prev_hash, hash) VALUES (6, 'action.allowed', 'agent:bot', 'github.repo.delete', '{"agent":"bot"}', '${forged.created_at}', '${rows[4]!.hash}', '${hash}')`,
    );
    expect((await verify()).first_bad).toMatchObject({
      id: 6,
      problem: 'inserted',
      event_type: 'action.allowed',
    });
  });

  it('insert (a made-up hash): names the inserted event', async () => {
    sqlite(
      'UPDATE audit_events SET id = id + 1000 WHERE id >= 4; UPDATE audit_events SET id = id - 999 WHERE id >= 1004; ' +
        `INSERT INTO audit_events (id, event_type, actor, subject, details, created_at, prev_hash, hash) VALUES (4, 'user.created', 'system', 'user:mallory@example.org', '{}', '${rows[2]!.created_at}', '${'ab'.repeat(32)}', '${'cd'.repeat(32)}')`,
    );
    expect((await verify()).first_bad).toMatchObject({
      id: 4,
      problem: 'inserted',
      event_type: 'user.created',
    });
  });

  it('reorder (two events swapped): names the first one out of place', async () => {
    sqlite(
      'UPDATE audit_events SET id = -8 WHERE id = 8; UPDATE audit_events SET id = 8 WHERE id = 9; UPDATE audit_events SET id = 9 WHERE id = -8',
    );
    const v = await verify();
    expect(v.first_bad).toMatchObject({ id: 8, problem: 'reordered', event_type: 'kill_switch.activated' });
    expect(v.checked).toBe(7);
  });

  it('unreadable details: altered, not a crash', async () => {
    sqlite(`UPDATE audit_events SET details = '{not json' WHERE id = 2`);
    expect((await verify()).first_bad).toMatchObject({ id: 2, problem: 'altered' });
  });

  it('passes across a retention cleanup (signed anchor), and names an edit after it', async () => {
    const cleanup = await fetch(`${h.url}/api/maintenance/cleanup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(await cleanup.json()).toMatchObject({ audit_events_deleted: 3 }); // older than 30 days: #1-#3
    const v = await verify();
    expect(v).toMatchObject({ ok: true, checked: 10, anchor: { id: 3, pruned_total: 3 } }); // #4-#12 and the cleanup's own event
    sqlite('DELETE FROM audit_events WHERE id = 5');
    expect((await verify()).first_bad).toMatchObject({ id: 5, problem: 'deleted' });
  });
});
