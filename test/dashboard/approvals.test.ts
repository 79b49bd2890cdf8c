// The approvals page in a real headless Chromium against the built daemon: a real curl request held by
// the gateway appears live (event stream, no reload), is approved in the dashboard, and curl receives
// the upstream's answer; deny with a note, approve for N minutes (a grant, revoked again), history with
// filters, the overview's pending figure, and the roles that may not decide see no controls.
// Screenshots go to test/dashboard/screenshots/ (git-ignored).
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  approvalFor,
  type ControlApi,
  callApi,
  configureApprovals,
  controlApiOf,
  curlVia,
  problemOf,
  proxyFor,
  type RecordingUpstream,
  startRecordingUpstream,
} from '../approvals/approval-helpers.js';
import { cliFor, eventually } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';
import { launchBrowser, openPage, screenshot, type WatchedPage } from './browser.js';

const OWNER_PASSWORD = 'approvals owner password 1';
const MEMBER_PASSWORD = 'approvals member password 1';
const VIEWER_PASSWORD = 'approvals viewer password 1';
const HELD_MS = 20_000;

let daemon: DaemonProcess;
let upstream: RecordingUpstream;
let control: ControlApi;
let proxy: string;
let dir: string;
let browser: Browser;
let owner: WatchedPage;
let page: Page;
/** A held request that needs an admin: stays pending across the role checks. */
let financeHeld: ReturnType<typeof curlVia>;
const serverErrors: string[] = [];
/** A webhook receiver added on the settings page, and what it received. */
let hooks: RunningServer<import('node:http').Server>;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let hookSecret = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-dashboard-approvals-'));
  upstream = await startRecordingUpstream();
  hooks = await startHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  daemon = await startDaemonProcess({
    args: [
      '--connect-to',
      `plain.test:80:127.0.0.1:${upstream.server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
    env: { TAMEFLARE_ADMIN_PASSWORD: OWNER_PASSWORD },
  });
  control = controlApiOf(daemon);
  proxy = proxyFor(daemon, 'bot', await configureApprovals(cliFor(daemon), dir));
  for (const [email, role, password] of [
    ['member@example.test', 'member', MEMBER_PASSWORD],
    ['viewer@example.test', 'viewer', VIEWER_PASSWORD],
  ]) {
    const r = await callApi(control, 'POST', '/v1/users', { email, role, password });
    if (r.status !== 201 && r.status !== 200) throw new Error(`add ${email}: ${JSON.stringify(r.body)}`);
  }
  browser = await launchBrowser();
  owner = await openPage(browser, { baseURL: daemon.controlUrl });
  page = owner.page;
  page.setDefaultTimeout(10_000);
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  await signIn(page, 'admin@localhost', OWNER_PASSWORD);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await upstream?.server.close();
  await hooks?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshot(page, `fail-${ctx.task.name.slice(0, 30)}`);
});

async function signIn(p: Page, email: string, password: string) {
  await p.goto('/approvals');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
}

/** The approvals page, its live feed connected. */
async function openApprovals(p: Page) {
  await p.goto('/approvals');
  await p.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
  await p.locator('.live-dot.on', { hasText: 'Live' }).waitFor();
}

/** `host/path` as a row's accessible name reads it: the path is its own block, so a space may come between. */
function requestName(hostPath: string): RegExp {
  const slash = hostPath.indexOf('/');
  const esc = (t: string) => t.replace(/[/.?]/g, '\\$&');
  return new RegExp(`${esc(hostPath.slice(0, slash))}\\s*${esc(hostPath.slice(slash))}`);
}

function pendingRow(p: Page, hostPath: string) {
  return p
    .getByRole('region', { name: 'Pending approvals' })
    .getByRole('row', { name: requestName(hostPath) });
}

describe('approvals page', () => {
  it('adds a webhook receiver on the settings page (admins), its secret shown once', async () => {
    await page.goto('/settings');
    const panel = page.getByRole('region', { name: 'Approval webhooks' });
    await panel.getByText('No receiver yet.').waitFor();
    await panel.getByLabel('Receiver URL').fill(`http://127.0.0.1:${hooks.port}/hooks/approvals`);
    await panel.getByRole('button', { name: 'Add receiver' }).click();
    const dialog = page.getByRole('dialog', { name: 'Webhook receiver added' });
    await dialog.getByRole('button', { name: 'Copy Signing secret' }).click();
    hookSecret = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(hookSecret.length).toBeGreaterThanOrEqual(16);
    await screenshot(page, 'a00-settings-webhook-added');
    await dialog.getByRole('button', { name: 'I have stored it' }).click();
    await panel.getByRole('row', { name: new RegExp(`ends in ${hookSecret.slice(-4)}`) }).waitFor();
    expect(await page.content()).not.toContain(hookSecret);
  });

  it('shows a held curl request live; approving it in the dashboard gives curl the upstream answer', async () => {
    await openApprovals(page);
    await page.getByText('Nothing is waiting for a decision.').waitFor();
    await screenshot(page, 'a01-approvals-empty');
    // The page is open before the request exists: the row can only arrive through the live feed.
    const held = curlVia(proxy, 'http://plain.test/deploy?env=prod', ['-d', 'version=42']);
    const row = pendingRow(page, 'plain.test/deploy');
    await row.waitFor({ timeout: HELD_MS });
    await page.getByRole('tab', { name: 'Pending (1)' }).waitFor();
    await screenshot(page, 'a02-approvals-pending');
    await row.getByRole('button', { name: 'Approve POST plain.test/deploy?env' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve POST plain.test/deploy?env?' });
    await dialog.getByLabel('Note (optional, kept in the audit log)').fill('release 42 is fine');
    await screenshot(page, 'a03-approvals-approve-dialog');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();

    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('upstream saw POST /deploy?env=prod version=42');
    await page.getByRole('status').getByText('Approved POST plain.test/deploy?env.').waitFor();
    await row.waitFor({ state: 'detached' });
    await page.getByText('Nothing is waiting for a decision.').waitFor();
    const decided = await approvalFor(control, '/deploy', () => true, 'approved');
    expect(decided).toMatchObject({ decided_by: 'user:admin@localhost', note: 'release 42 is fine' });
    expect(decided.used_at).not.toBeNull();
  });

  it('denies with a note, which curl receives in its 403', async () => {
    const held = curlVia(proxy, 'http://plain.test/refund', ['-d', 'amount=900']);
    const row = pendingRow(page, 'plain.test/refund');
    await row.waitFor({ timeout: HELD_MS });
    await row.getByRole('button', { name: 'Deny POST plain.test/refund' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deny POST plain.test/refund?' });
    await dialog.getByLabel('Note (the agent sees it)').fill('refunds over 500 need a ticket');
    await screenshot(page, 'a04-approvals-deny-dialog');
    await dialog.getByRole('button', { name: 'Deny', exact: true }).click();
    const answer = await held;
    expect(answer.status).toBe(403);
    const problem = problemOf(answer.body);
    expect(problem).toMatchObject({ code: 'approval_denied' });
    expect(String(problem.detail)).toContain('refunds over 500 need a ticket');
    await row.waitFor({ state: 'detached' });
    expect(upstream.count('/refund')).toBe(0);
  });

  it('approves for N minutes: repeats pass without a hold until the grant is revoked', async () => {
    // PUT (http.put) so that the grant covers nothing the other tests send.
    const held = curlVia(proxy, 'http://plain.test/report?day=1', ['-X', 'PUT']);
    const row = pendingRow(page, 'plain.test/report');
    await row.waitFor({ timeout: HELD_MS });
    await row.getByRole('button', { name: 'Approve PUT plain.test/report?day' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve PUT plain.test/report?day?' });
    await dialog.getByRole('radio', { name: /This request, and http\.put by bot/ }).check();
    await dialog.getByLabel('Minutes').fill('15');
    await dialog.getByRole('button', { name: 'Approve for 15 minutes' }).click();
    expect((await held).status).toBe(200);
    await page
      .getByRole('status')
      .getByText(/bot may run http\.put without asking until/)
      .waitFor();
    const grants = page.getByRole('region', { name: 'Active grants' });
    await grants.getByRole('row', { name: /bot http\.put admin@localhost/ }).waitFor();
    await screenshot(page, 'a05-approvals-grant');

    // Within the grant: another PUT passes at once and opens no approval.
    const before = (await callApi<{ approvals: unknown[] }>(control, 'GET', '/v1/approvals')).body.approvals;
    expect((await curlVia(proxy, 'http://plain.test/report?day=2', ['-X', 'PUT'])).status).toBe(200);
    const after = (await callApi<{ approvals: unknown[] }>(control, 'GET', '/v1/approvals')).body.approvals;
    expect(after.length).toBe(before.length);

    await grants.getByRole('button', { name: 'Revoke' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke the grant for bot?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await grants.getByText('No grant is active.').waitFor();
    // Revoked: the next PUT is held again (and denied here to end it).
    const again = curlVia(proxy, 'http://plain.test/report?day=3', ['-X', 'PUT']);
    const againRow = pendingRow(page, 'plain.test/report');
    await againRow.waitFor({ timeout: HELD_MS });
    await againRow.getByRole('button', { name: 'Deny PUT plain.test/report?day' }).click();
    await page
      .getByRole('dialog', { name: 'Deny PUT plain.test/report?day?' })
      .getByRole('button', { name: 'Deny', exact: true })
      .click();
    expect((await again).status).toBe(403);
  });

  it('shows the history with who decided and their note, filtered by status', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    const history = page.getByRole('region', { name: 'Approval history' });
    await history
      .getByRole('row', { name: /plain\.test\s*\/deploy.*approved.*admin@localhost.*release 42 is fine/ })
      .waitFor();
    await history
      .getByRole('row', {
        name: /plain\.test\s*\/refund.*denied.*admin@localhost.*refunds over 500 need a ticket/,
      })
      .waitFor();
    await screenshot(page, 'a06-approvals-history');
    await history.getByLabel('Status').selectOption('denied');
    await history.getByRole('row', { name: /\/deploy/ }).waitFor({ state: 'detached' });
    // The filtered list replaces the whole table: wait for it before counting.
    await history.getByRole('row', { name: /refund/ }).waitFor();
    expect(await history.getByRole('row', { name: /refund/ }).count()).toBe(1);
    expect(page.url()).toContain('status=denied');
  });

  it('sent the receiver a signed event per new approval and per decision, listed on the settings page', async () => {
    const events = () => received.map((r) => String(r.headers['x-tameflare-event']));
    await eventually(
      async () => events(),
      (e) => e.filter((x) => x === 'approval.decided').length >= 4,
      'the receiver has the decisions',
      HELD_MS,
    );
    expect(events()).toContain('approval.requested');
    for (const r of received) {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-tameflare-signature']));
      expect(m, 'signature header').not.toBeNull();
      const expected = createHmac('sha256', hookSecret).update(`${m![1]}.${r.body}`).digest('hex');
      expect(m![2]).toBe(expected);
    }
    await page.goto('/settings');
    const panel = page.getByRole('region', { name: 'Approval webhooks' });
    await panel
      .getByRole('row', { name: /approval\.decided.*delivered/ })
      .first()
      .waitFor();
    await screenshot(page, 'a10-settings-webhook-deliveries');
  });

  it('counts pending approvals on the overview', async () => {
    financeHeld = curlVia(proxy, 'http://plain.test/finance/pay', ['-d', 'to=acme']);
    await approvalFor(control, '/finance/pay');
    await page.goto('/');
    const card = page.getByRole('region', { name: 'Pending approvals' });
    await card.getByText('request waiting').waitFor({ timeout: HELD_MS });
    expect(await card.locator('.figure').textContent()).toBe('1');
    await screenshot(page, 'a07-overview-pending');
    await card.getByRole('link', { name: 'Decide' }).click();
    await pendingRow(page, 'plain.test/finance/pay').waitFor();
    // It stays pending for the role checks below; the owner decides it at the end.
  });

  it('offers a member no controls for an approval that needs an admin, and a viewer none at all', async () => {
    for (const [email, password, shot] of [
      ['member@example.test', MEMBER_PASSWORD, 'a08-approvals-member'],
      ['viewer@example.test', VIEWER_PASSWORD, 'a09-approvals-viewer'],
    ] as const) {
      const other = await openPage(browser, { baseURL: daemon.controlUrl });
      try {
        other.page.setDefaultTimeout(10_000);
        await signIn(other.page, email, password);
        await openApprovals(other.page);
        const row = pendingRow(other.page, 'plain.test/finance/pay');
        await row.waitFor();
        expect(await row.getByRole('button').count(), email).toBe(0);
        if (email.startsWith('member')) await row.getByText('needs admin').waitFor();
        else
          await other.page.getByText('Your role (viewer) can watch approvals but not decide them.').waitFor();
        await screenshot(other.page, shot);
        await other.page.goto('/settings');
        await other.page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
        expect(await other.page.getByRole('region', { name: 'Approval webhooks' }).count()).toBe(0);
        expect(other.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
      } catch (err) {
        await screenshot(other.page, `fail-${shot}`);
        throw err;
      } finally {
        await other.context.close();
      }
    }
  });

  it('says so when the live feed cannot be reached, and recovers by itself', async () => {
    // A second tab of the owner's session whose stream requests fail until the route is lifted.
    const tab = await owner.context.newPage();
    try {
      tab.setDefaultTimeout(10_000);
      await tab.route('**/v1/approvals/stream', (r) => r.abort());
      await tab.goto('/approvals');
      await tab.getByText('The live list of approvals cannot be reached right now').waitFor();
      expect(await tab.locator('.live-dot.on').count()).toBe(0);
      await screenshot(tab, 'a14-approvals-feed-down');
      await tab.unroute('**/v1/approvals/stream');
      await tab.locator('.live-dot.on', { hasText: 'Live' }).waitFor({ timeout: HELD_MS });
      await pendingRow(tab, 'plain.test/finance/pay').waitFor();
      expect(await tab.getByText('cannot be reached').count()).toBe(0);
    } finally {
      await tab.close();
    }
  });

  it('lets the owner decide the admin-only approval, and raised no console or server error', async () => {
    const held = curlVia(proxy, 'http://plain.test/finance/pay', ['-d', 'to=acme']); // joins the pending one
    await openApprovals(page);
    const row = pendingRow(page, 'plain.test/finance/pay');
    await row.getByRole('cell', { name: '2', exact: true }).waitFor({ timeout: HELD_MS });
    // The same page in the dark theme and in a narrow window, reached by keyboard.
    await page.getByLabel('Theme').selectOption('dark');
    await screenshot(page, 'a11-approvals-dark');
    await page.getByLabel('Theme').selectOption('system');
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, 'a12-approvals-narrow');
    const approve = row.getByRole('button', { name: 'Approve POST plain.test/finance/pay' });
    await approve.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Approve POST plain.test/finance/pay?' }).waitFor();
    await screenshot(page, 'a13-approvals-narrow-dialog');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });
    await approve.click();
    await page
      .getByRole('dialog', { name: 'Approve POST plain.test/finance/pay?' })
      .getByRole('button', { name: 'Approve', exact: true })
      .click();
    // One approval is one execution: the oldest waiting request passes, the one that joined gets 409.
    const statuses = (await Promise.all([financeHeld, held])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect(
      owner.problems.filter(
        (p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p),
      ),
    ).toEqual([]);
    expect(serverErrors).toEqual([]);
  });
});
