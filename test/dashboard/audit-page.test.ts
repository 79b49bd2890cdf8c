// The audit log page in a real headless Chromium against the real daemon: audited changes made
// through the API are listed newest first, filtered on the server, paged back, opened for their
// details and hash, exported as CSV and JSONL through the API, and the chain shows as verified, then
// as broken at the event an out-of-band edit of local.db altered. A viewer reads all of it (the audit
// routes are viewer routes) and finds nothing to change.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlApi, callApi, controlApiOf } from '../approvals/approval-helpers.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { launchBrowser, openPage, screenshot, type WatchedPage } from './browser.js';

const OWNER_PASSWORD = 'audit owner password 1';
const VIEWER_PASSWORD = 'audit viewer password 1';
const TOKENS = 55; // more than one page of 50, so "Load older events" has something to load

let daemon: DaemonProcess;
let control: ControlApi;
let browser: Browser;
let owner: WatchedPage;
let page: Page;
const serverErrors: string[] = [];

interface Event {
  id: number;
  event_type: string;
  actor: string;
  subject: string | null;
  details: Record<string, unknown>;
  hash: string;
}

beforeAll(async () => {
  daemon = await startDaemonProcess({ env: { TAMEFLARE_ADMIN_PASSWORD: OWNER_PASSWORD } });
  control = controlApiOf(daemon);
  const must = async (method: string, path: string, body: unknown) => {
    const r = await callApi(control, method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await must('POST', '/v1/users', {
    email: 'viewer@example.test',
    role: 'viewer',
    password: VIEWER_PASSWORD,
  });
  await must('POST', '/v1/agents', { name: 'audit-bot' });
  for (let i = 0; i < TOKENS; i++) await must('POST', '/v1/tokens', { name: `ci-${i}` });
  browser = await launchBrowser();
  owner = await openPage(browser, { baseURL: daemon.controlUrl });
  page = owner.page;
  page.setDefaultTimeout(10_000);
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshot(page, `fail-audit-${ctx.task.name.slice(0, 30)}`);
});

async function signIn(p: Page, email: string, password: string) {
  await p.goto('/audit');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
}

async function apiEvents(query: string): Promise<Event[]> {
  const r = await callApi<{ events: Event[] }>(control, 'GET', `/v1/audit?${query}`);
  expect(r.status).toBe(200);
  return r.body.events;
}

/** Event types of the rows shown, top to bottom. */
async function shownTypes(p: Page): Promise<string[]> {
  return p.locator('section[aria-label="Audit events"] tbody tr td:nth-child(3)').allTextContents();
}

/** The agent filter (its label's text also holds the options, so `getByLabel` would be ambiguous). */
function agentSelect(p: Page) {
  return p.locator('label:has(> span:text-is("Agent")) select');
}

async function shownIds(p: Page): Promise<number[]> {
  return (
    await p.locator('section[aria-label="Audit events"] tbody tr td:nth-child(1)').allTextContents()
  ).map(Number);
}

describe('audit log page', () => {
  it('lists the audited changes newest first with the chain verified', async () => {
    await signIn(page, 'admin@localhost', OWNER_PASSWORD);
    const newest = await apiEvents('limit=50');
    const head = newest[0]!;
    await page
      .getByRole('region', { name: 'Chain verification' })
      .getByText(new RegExp(`Chain verified\\s+up to event #${head.id}: ${head.id} events checked`))
      .waitFor();
    await page
      .getByRole('button', { name: /^Details of event/ })
      .first()
      .waitFor();
    const ids = await shownIds(page);
    expect(ids).toEqual(newest.map((e) => e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // The sign-in itself is the newest event.
    expect((await shownTypes(page))[0]).toBe('user.login');
    await page.getByText('50 events shown.').waitFor();
    await screenshot(page, '40-audit');

    // Paging back reaches the oldest events (the sign-ups and the agent), and says when it is done.
    await page.getByRole('button', { name: 'Load older events' }).click();
    await page.getByText(`${head.id} events shown, no older ones.`).waitFor();
    expect(await page.getByRole('button', { name: 'Load older events' }).count()).toBe(0);
    const all = await shownTypes(page);
    expect(all).toContain('agent.created');
    expect(all).toContain('user.created');
    const tokens = await apiEvents('type=token.created&limit=1000');
    expect(tokens.length).toBeGreaterThanOrEqual(TOKENS);
    expect(all.filter((t) => t === 'token.created')).toHaveLength(tokens.length);
  });

  it('filters by type, actor, agent and time on the server', async () => {
    const sameAsApi = async (query: string) => {
      const want = (await apiEvents(query)).map((e) => e.id);
      expect(want.length).toBeGreaterThan(0);
      await expect.poll(() => shownIds(page)).toEqual(want);
    };
    await page.getByLabel('Event type').selectOption('agent.*');
    await page.waitForURL(/type=agent\.\*/);
    await sameAsApi('type=agent.*');
    expect((await shownTypes(page)).every((t) => t.startsWith('agent.'))).toBe(true);
    await page.getByRole('button', { name: 'Clear filters' }).click();

    const created = (await apiEvents('type=agent.created'))[0]!;
    await page.getByLabel('Actor').fill(created.actor);
    await page.getByLabel('Actor').press('Enter');
    await page.waitForURL(/actor=/);
    await sameAsApi(`actor=${encodeURIComponent(created.actor)}&limit=50`);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByLabel('Actor').inputValue()).toBe('');

    await agentSelect(page).selectOption('audit-bot');
    await sameAsApi('agent=audit-bot');
    expect(await shownTypes(page)).toContain('agent.created');
    await screenshot(page, '41-audit-filtered');

    // A time range with nothing in it says so, in words.
    await agentSelect(page).selectOption('');
    await page.getByLabel('Time').selectOption('1h');
    await page.getByText('50 events shown.').waitFor();
    await page.getByLabel('Time').selectOption('custom');
    await page.getByLabel('From (local time)').fill('2001-01-01T00:00');
    await page.getByLabel('Until (local time)').fill('2001-01-02T00:00');
    await page.getByText('No event matches these filters.').waitFor();
    await screenshot(page, '42-audit-empty');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByText('50 events shown.').waitFor();
  });

  it('opens an event with its details and hash, from the keyboard too', async () => {
    const created = (await apiEvents('type=agent.created'))[0]!;
    await page.getByLabel('Event type').selectOption('agent.*');
    const button = page.getByRole('button', { name: `Details of event ${created.id}, agent.created` });
    await button.focus();
    await page.keyboard.press('Enter');
    const detail = page.getByRole('complementary', { name: `Event #${created.id}` });
    await detail.waitFor();
    await expect
      .poll(() => page.evaluate<string | null>('document.activeElement?.textContent ?? null'))
      .toBe(`Event #${created.id}`);
    await detail.getByText(created.hash).waitFor();
    expect(Object.keys(created.details).length).toBeGreaterThan(0);
    expect(JSON.parse((await detail.locator('pre').textContent()) ?? '')).toEqual(created.details);
    await detail.getByText(created.subject ?? 'none').waitFor();
    await screenshot(page, '43-audit-detail');
    await detail.getByRole('button', { name: 'Close details' }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('exports the filtered events as JSONL and everything as CSV through the API', async () => {
    await page.getByLabel('Event type').selectOption('token.*');
    await page.waitForURL(/type=token\.\*/);
    const [jsonl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export JSONL' }).click(),
    ]);
    expect(jsonl.suggestedFilename()).toMatch(/^tameflare-audit-.*\.jsonl$/);
    const lines = readFileSync((await jsonl.path())!, 'utf8')
      .trim()
      .split('\n');
    const exported = lines.map((l) => JSON.parse(l) as Event);
    expect(exported.map((e) => e.id)).toEqual(
      (await apiEvents('type=token.*&order=asc&limit=1000')).map((e) => e.id),
    );
    expect(exported.length).toBeGreaterThanOrEqual(TOKENS);
    expect(exported.every((e) => e.event_type === 'token.created' && /^[0-9a-f]{64}$/.test(e.hash))).toBe(
      true,
    );
    // Oldest first, as the export route documents.
    expect(exported[0]!.id).toBeLessThan(exported.at(-1)!.id);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const rows = readFileSync((await csv.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe('id,created_at,event_type,actor,subject,details,prev_hash,hash');
    expect(rows.some((r) => r.includes(',agent.created,'))).toBe(true);
    expect(rows.length).toBeGreaterThan(TOKENS + 2);
  });

  it('is usable narrow and in the dark theme', async () => {
    const dark = await openPage(browser, {
      baseURL: daemon.controlUrl,
      colorScheme: 'dark',
      viewport: { width: 420, height: 860 },
    });
    try {
      await signIn(dark.page, 'admin@localhost', OWNER_PASSWORD);
      await dark.page.getByText(/Chain verified/).waitFor();
      await dark.page
        .getByRole('button', { name: /^Details of event/ })
        .first()
        .click();
      await dark.page.getByRole('complementary').waitFor();
      // Nothing sticks out sideways in a narrow window.
      const overflow = await dark.page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(dark.page, '44-audit-dark-narrow');
      expect(dark.problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    } finally {
      await dark.context.close();
    }
  });

  it('lets a viewer read, verify and export the log, and offers nothing to change', async () => {
    const viewer = await openPage(browser, { baseURL: daemon.controlUrl });
    try {
      const v = viewer.page;
      await signIn(v, 'viewer@example.test', VIEWER_PASSWORD);
      await v.locator('.badge-role', { hasText: 'viewer' }).waitFor();
      await v.getByText(/Chain verified/).waitFor();
      await v
        .getByRole('button', { name: /^Details of event/ })
        .first()
        .waitFor();
      const [csv] = await Promise.all([
        v.waitForEvent('download'),
        v.getByRole('link', { name: 'Export CSV' }).click(),
      ]);
      expect(readFileSync((await csv.path())!, 'utf8')).toContain(',token.created,');
      // Besides opening events, the page's buttons only read: verify again, refresh, paging.
      const buttons = await v
        .locator('main button:not([aria-label^="Details of event"]):visible')
        .allTextContents();
      expect(buttons.map((t) => t.trim()).sort()).toEqual(['Load older events', 'Refresh', 'Verify again']);
      await screenshot(v, '45-audit-viewer');
      expect(viewer.problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    } finally {
      await viewer.context.close();
    }
  });

  it('names the first broken event when local.db is edited behind its back', async () => {
    const created = (await apiEvents('type=agent.created'))[0]!;
    execFileSync('sqlite3', [
      '-cmd',
      '.timeout 5000',
      join(daemon.dataDir, 'local.db'),
      `UPDATE audit_events SET subject = 'agent:z-bot' WHERE id = ${created.id}`,
    ]);
    await page.reload();
    const status = page.getByRole('region', { name: 'Chain verification' });
    await status
      .getByText(
        new RegExp(
          `Chain broken\\s+at event #${created.id} \\(agent\\.created, .+\\): it was altered after it was recorded`,
        ),
      )
      .waitFor();
    await status
      .getByText(`The ${created.id - 1} events before it, up to #${created.id - 1}, verified.`)
      .waitFor();
    await screenshot(page, '46-audit-broken');
  });

  it('raised no console error, page error or server error', () => {
    expect(serverErrors).toEqual([]);
    expect(owner.problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
