// The dashboard in a real headless Chromium against the real daemon (built binary): every page is
// used as an operator would, a real HTTPS request goes through the gateway and shows up in the
// traffic view, and every page is saved as a screenshot (test/dashboard/screenshots/, git-ignored).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../cli/cli-harness.js';
import { createFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpsServer } from '../helpers/test-ca.js';
import { launchBrowser, openPage, screenshot, type WatchedPage } from './browser.js';

let daemon: DaemonProcess;
let upstream: FakeUpstream;
let server: RunningServer<import('node:https').Server>;
let dir: string;
let browser: Browser;
let owner: WatchedPage;
let page: Page;
let agentKey = '';
const OWNER_PASSWORD = 'dashboard owner password 1';
const VIEWER_PASSWORD = 'dashboard viewer password 1';
const serverErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-dashboard-'));
  const upstreamCa = await createTestCa();
  upstream = createFakeUpstream('api');
  server = await startHttpsServer(upstream.handler, { hosts: ['api.github.com'], ca: upstreamCa });
  const caFile = join(dir, 'upstream-ca.pem');
  writeFileSync(caFile, upstreamCa.certPem);
  daemon = await startDaemonProcess({
    args: [
      '--upstream-ca',
      caFile,
      '--connect-to',
      `api.github.com:443:127.0.0.1:${server.port}`,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
    env: { TAMEFLARE_ADMIN_PASSWORD: OWNER_PASSWORD },
  });
  browser = await launchBrowser();
  owner = await openPage(browser, { baseURL: daemon.controlUrl });
  page = owner.page;
  page.setDefaultTimeout(10_000);
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function viaGateway(url: string, method = 'GET') {
  const gw = new URL(daemon.gatewayUrl);
  const dispatcher = new ProxyAgent({
    uri: `http://release-bot:${agentKey}@${gw.host}`,
    requestTls: { ca: readFileSync(join(daemon.dataDir, 'ca.crt'), 'utf8') },
  });
  try {
    const res = await fetch(url, { method, dispatcher });
    const text = await res.text();
    const problem = res.headers.get('content-type')?.startsWith('application/problem+json')
      ? (JSON.parse(text) as { code: string })
      : undefined;
    return { status: res.status, code: problem?.code };
  } catch (err) {
    // The gateway refused the CONNECT itself (undici reports "Proxy response (403) !== 200").
    let text = '';
    for (let e: unknown = err; e instanceof Error; e = e.cause) text += ` ${e.message}`;
    const m = /Proxy response \((\d+)\)/.exec(text);
    if (!m) throw err;
    return { status: Number(m[1]), code: 'tunnel_refused' };
  } finally {
    await dispatcher.close();
  }
}

// Page functions are passed as text: the test project is compiled without the DOM library.
function readClipboard(p: Page): Promise<string> {
  return p.evaluate<string>('navigator.clipboard.readText()');
}

async function signIn(p: Page, email: string, password: string) {
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

async function go(path: string, heading: string) {
  await page.goto(path);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe('dashboard (owner)', () => {
  it('serves the app with a strict CSP and leaves the API paths alone', async () => {
    const res = await page.goto('/agents');
    expect(res?.status()).toBe(200);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    const api = await fetch(`${daemon.controlUrl}/v1/no-such-thing`);
    expect(api.status).toBe(404);
    expect(await api.text()).toContain('not_found');
  });

  it('signs in through the sign-in page, after a wrong password is refused', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, '00-sign-in');
    await signIn(page, 'admin@localhost', 'not the password');
    await page.getByRole('alert').getByText('That email and password do not match an account.').waitFor();
    await screenshot(page, '00b-sign-in-refused');
    await signIn(page, 'admin@localhost', OWNER_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const cookies = await owner.context.cookies();
    expect(cookies.find((c) => c.name === 'tf_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
  });

  it('shows an empty overview', async () => {
    await go('/', 'Overview');
    await page.getByRole('heading', { name: 'Kill switch' }).waitFor();
    await page.getByText('traffic is decided normally').waitFor();
    await page.getByText('No agent has sent a request in this window.').waitFor();
    await screenshot(page, '01-overview-empty');
  });

  it('adds an agent and copies its settings', async () => {
    await go('/agents', 'Agents');
    await page.getByText('No agents yet.').waitFor();
    await screenshot(page, '02-agents-empty');
    await page.getByRole('button', { name: 'Add agent' }).click();
    await page.getByLabel('Name').fill('release-bot');
    await screenshot(page, '03-agents-add');
    await page.getByRole('dialog').getByRole('button', { name: 'Add agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'Agent release-bot added' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Copy Agent key' }).click();
    agentKey = await readClipboard(page);
    expect(agentKey).toMatch(/^tf_agent_[A-Za-z0-9_-]{20,}$/);
    await dialog.getByRole('button', { name: /Copy Run a program/ }).click();
    expect(await readClipboard(page)).toBe('tameflare run --agent release-bot -- python agent.py');
    await dialog.getByRole('button', { name: /Copy Proxy settings/ }).click();
    expect(await readClipboard(page)).toContain(`HTTPS_PROXY=http://release-bot:${agentKey}@`);
    await screenshot(page, '04-agents-key-shown');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('row', { name: /release-bot/ }).waitFor();
    await screenshot(page, '05-agents');
  });

  it('adds a connector with a write-only credential and shows its catalogue', async () => {
    await go('/connectors', 'Connectors');
    await page.getByRole('button', { name: 'Add connector' }).click();
    await page.getByLabel(/^Type/).selectOption('github');
    await page.getByRole('dialog').getByRole('button', { name: 'Add connector' }).click();
    const cred = page.getByRole('dialog', { name: 'Credential for github' });
    await cred.getByLabel('Credential').fill('ghp_dashboard_test_9876');
    await cred.getByRole('button', { name: 'Save credential' }).click();
    await page.getByText('set, ends in 9876').waitFor();
    expect(await page.content()).not.toContain('ghp_dashboard_test');
    await screenshot(page, '06-connectors');
    await page
      .getByRole('row', { name: /github/ })
      .getByRole('button', { name: 'View catalogue' })
      .click();
    await page
      .getByRole('dialog', { name: 'Actions of github' })
      .getByText('github.pr.merge')
      .first()
      .waitFor();
    await screenshot(page, '07-connectors-catalogue');
    await page.keyboard.press('Escape');
  });

  it('sets a permission preset', async () => {
    await go('/permissions', 'Permissions');
    await page.getByRole('button', { name: /release-bot on github/ }).click();
    await page.getByRole('button', { name: /Read only/ }).click();
    await page.getByText('Preset “Read only” applied.').waitFor();
    await page.getByRole('cell', { name: 'github.repo.get', exact: true }).waitFor();
    await screenshot(page, '08-permissions');
  });

  it('writes a policy, is shown its validation error at the right line, and fixes it', async () => {
    await go('/policies', 'Policies');
    await page.getByRole('button', { name: 'New policy' }).click();
    const editor = page.getByLabel('YAML of the new policy');
    const bad = [
      'name: no-deletes',
      'rules:',
      '  - name: block-delete',
      '    when:',
      '      all:',
      '        - {field: action, operator: greater_than, value: github.repo.delete}',
      '    decision: deny',
      '    reason: repositories are not deleted by bots',
    ].join('\n');
    await editor.fill(bad);
    await page.getByRole('button', { name: 'Create policy' }).click();
    const error = page.locator('.schema-errors li').first();
    await error.waitFor();
    expect((await error.textContent()) ?? '').toContain('Line 6');
    expect((await error.textContent()) ?? '').toContain('greater_than');
    expect(await page.locator('.gutter-bad').textContent()).toBe('6');
    await screenshot(page, '09-policies-validation-error');
    await editor.fill(bad.replace('greater_than', 'equals'));
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { name: /no-deletes/ }).waitFor();
    await page.getByText('created as version 1').waitFor();
    // A second version, to compare and restore.
    const saved = page.getByLabel('YAML of policy no-deletes');
    await saved.fill((await saved.inputValue()).replace('by bots', 'by any bot'));
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('updated as version 2').waitFor();
    await screenshot(page, '10-policies');
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.locator('.diff-add', { hasText: 'by any bot' }).waitFor();
    await screenshot(page, '11-policies-versions');
  });

  it('decides a request in the dry-run panel', async () => {
    await page.getByLabel('URL').fill('https://api.github.com/repos/acme/app');
    await page.getByRole('button', { name: 'Decide' }).click();
    await page.locator('.dry-verdict .badge', { hasText: 'allowed' }).waitFor();
    await screenshot(page, '12-policies-dry-run');
  });

  it('shows a proxied request in the traffic view, with its reasons', async () => {
    await go('/traffic', 'Traffic');
    const ok = await eventually(
      () => viaGateway('https://api.github.com/repos/acme/app'),
      (r) => r.status === 200,
      'the gateway does not allow the read yet',
      20_000,
    );
    expect(ok.status).toBe(200);
    const denied = await viaGateway('https://api.github.com/repos/acme/app', 'DELETE');
    expect(denied.status).toBe(403);
    const row = page.getByRole('button', { name: /Details of DELETE api\.github\.com\/repos\/acme\/app/ });
    await row.waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: /Details of GET api\.github\.com\/repos\/acme\/app/ }).waitFor();
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Request details' });
    await detail.getByText('github.repo.delete').waitFor();
    expect((await detail.locator('.reasons').textContent()) ?? '').toMatch(/permission/i);
    await screenshot(page, '13-traffic');
  });

  it('says so when the gateway no longer holds a request the audit log refers to', async () => {
    expect((await viaGateway('https://api.github.com/repos/acme/pruned')).status).toBe(200);
    const gatewayDb = new Database(join(daemon.dataDir, 'gateway.db'));
    try {
      // As the gateway's own retention would (shorter than the audit log's): the row goes, the event stays.
      await eventually(
        async () =>
          gatewayDb
            .prepare("DELETE FROM traffic_log WHERE path = '/repos/acme/pruned' AND completed_at IS NOT NULL")
            .run().changes,
        (n) => n === 1,
        'the request was not logged by the gateway',
        20_000,
      );
    } finally {
      gatewayDb.close();
    }
    await go('/traffic?action=github.repo.get', 'Traffic');
    const row = page.getByRole('button', { name: /\(request details unavailable\)/ });
    await row.first().waitFor({ timeout: 20_000 });
    await row.first().click();
    const detail = page.getByRole('complementary', { name: 'Request details' });
    await detail
      .getByRole('note')
      .getByText(/no longer holds it/)
      .waitFor();
    expect(await detail.getByText('github.repo.get').count()).toBeGreaterThan(0);
    // Nothing the ledger does not keep is shown as if it were known (no "0 bytes", no "connector none").
    expect(await detail.getByText('Bytes', { exact: true }).count()).toBe(0);
    await screenshot(page, '13b-traffic-details-unavailable');
  });

  it('shows the traffic on the overview', async () => {
    await go('/', 'Overview');
    await page.getByRole('link', { name: 'release-bot' }).waitFor();
    await screenshot(page, '14-overview');
  });

  it('activates the kill switch and the next request is denied', async () => {
    await go('/settings', 'Settings');
    await page.getByText('The kill switch is off.').waitFor();
    await page.getByLabel('Reason (shown in every refusal and the audit log)').fill('incident drill');
    await page.getByRole('button', { name: 'Activate kill switch' }).click();
    await page
      .getByRole('dialog', { name: 'Activate the kill switch?' })
      .getByRole('button', { name: 'Activate' })
      .click();
    await page.getByText('The kill switch is on for one scope.').waitFor();
    await page.getByRole('cell', { name: 'incident drill' }).waitFor();
    await screenshot(page, '15-settings-kill-switch');
    const refused = await eventually(
      () => viaGateway('https://api.github.com/repos/acme/app'),
      (r) => r.status === 403,
      'the gateway still forwards requests',
      20_000,
    );
    expect(['kill_switch_active', 'tunnel_refused']).toContain(refused.code);
    await go('/traffic?decision=deny', 'Traffic');
    await page
      .locator('.reason-line', { hasText: 'kill switch active (scope all)' })
      .first()
      .waitFor({ timeout: 20_000 });
    await screenshot(page, '16-traffic-kill-switch');
    await go('/', 'Overview');
    await page.getByText('Kill switch active').waitFor();
    await screenshot(page, '16b-overview-kill-switch');
    await go('/settings', 'Settings');
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await page.getByText('The kill switch is off.').waitFor();
  });

  it('sets the traffic retention, which the gateway reports back as in force', async () => {
    await go('/settings', 'Settings');
    const panel = page.getByRole('region', { name: 'Retention' });
    const row = panel.getByRole('row', { name: /^default/ });
    // The gateway sets none itself: the built-in default applies until one is set here.
    await row.getByText('built-in default').waitFor({ timeout: 20_000 });
    await row.getByText('30 days').waitFor();
    await panel.getByLabel('Days of traffic to keep (0 keeps everything)').fill('7');
    await panel.getByRole('button', { name: 'Save retention' }).click();
    await panel.getByText('Saved: 7 days.').waitFor();
    await row.getByText('set here').waitFor({ timeout: 20_000 });
    await row.getByText('7 days').waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, '15b-settings-retention');
    await panel.getByRole('button', { name: "Use each gateway's own setting" }).click();
    await row.getByText('built-in default').waitFor({ timeout: 20_000 });
  });

  it('works in the dark theme and in a narrow window, and by keyboard', async () => {
    await go('/', 'Overview');
    await page.getByLabel('Theme').selectOption('dark');
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await screenshot(page, '17-overview-dark');
    await go('/traffic', 'Traffic');
    await screenshot(page, '18-traffic-dark');
    await go('/policies?name=no-deletes', 'Policies');
    await screenshot(page, '19-policies-dark');
    await page.getByLabel('Theme').selectOption('system');
    await page.setViewportSize({ width: 390, height: 800 });
    await go('/traffic', 'Traffic');
    await screenshot(page, '20-traffic-narrow');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor();
    await screenshot(page, '21-agents-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
    await go('/agents', 'Agents');
    // Keyboard: the skip link comes first and lands on the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
  });

  it('adds a viewer on the users page', async () => {
    await go('/users', 'Users');
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a user' });
    await dialog.getByLabel('Email').fill('viewer@example.test');
    await dialog.getByRole('radio', { name: /^viewer/ }).check();
    await dialog.getByLabel(/^Password/).fill(VIEWER_PASSWORD);
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('row', { name: /viewer@example\.test/ }).waitFor();
    await screenshot(page, '22-users');
  });

  it('creates an API token that works, shown once', async () => {
    await go('/tokens', 'API tokens');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API token' });
    await dialog.getByLabel('Name').fill('deploy-script');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('dialog', { name: 'Token deploy-script created' });
    await shown.getByRole('button', { name: 'Copy Token' }).click();
    const token = await readClipboard(page);
    expect(token).toMatch(/^tf_pat_/);
    const me = await fetch(`${daemon.controlUrl}/v1/auth/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await me.json()).toMatchObject({ kind: 'token', name: 'deploy-script', role: 'viewer' });
    await screenshot(page, '23-tokens-created');
    await shown.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('row', { name: /deploy-script/ }).waitFor();
    await screenshot(page, '24-tokens');
  });

  it('keeps every list usable in a narrow window, light and dark, with nothing sticking out sideways', async () => {
    const pages = [
      ['/', 'Overview', 'overview'],
      ['/traffic', 'Traffic', 'traffic'],
      ['/approvals?tab=history', 'Approvals', 'approvals-history'],
      ['/agents', 'Agents', 'agents'],
      ['/connectors', 'Connectors', 'connectors'],
      ['/permissions', 'Permissions', 'permissions'],
      ['/policies?name=no-deletes', 'Policies', 'policies'],
      ['/audit', 'Audit log', 'audit'],
      ['/users', 'Users', 'users'],
      ['/tokens', 'API tokens', 'tokens'],
      ['/settings', 'Settings', 'settings'],
    ] as const;
    const sideways: string[] = [];
    try {
      for (const theme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width: 400, height: 800 });
        await go('/', 'Overview');
        await page.getByLabel('Theme').selectOption(theme);
        for (const [path, heading, name] of pages) {
          await go(path, heading);
          await page.waitForLoadState('networkidle');
          const overflow = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          if (overflow > 0) sideways.push(`${path} (${theme}): ${overflow} px`);
          await screenshot(page, `50-narrow-${theme}-${name}`);
        }
      }
      expect(sideways).toEqual([]);
      // A stacked row still opens its details from the keyboard.
      await go('/traffic', 'Traffic');
      const details = page.getByRole('button', { name: /^Details of GET api\.github\.com/ }).first();
      await details.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('complementary', { name: 'Request details' }).waitFor();
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, '51-narrow-traffic-detail');
    } finally {
      await page.getByLabel('Theme').selectOption('system');
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('filters a list on the page, and says so when nothing matches', async () => {
    await go('/agents', 'Agents');
    await page.getByLabel('Search').fill('no-such-bot');
    await page.getByText('No agent matches these filters.').waitFor();
    expect(page.url()).toContain('q=no-such-bot');
    await screenshot(page, '52-agents-filtered-empty');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('row', { name: /release-bot/ }).waitFor();
  });

  it('shows a not-found page for an unknown address', async () => {
    await go('/no-such-page', 'Page not found');
  });

  it('raised no console error, page error or server error', () => {
    expect(
      owner.problems.filter(
        (p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p),
      ),
    ).toEqual([]);
    expect(serverErrors).toEqual([]);
  });
});

describe('dashboard (viewer)', () => {
  it('offers a viewer no mutating control', async () => {
    // The viewer was added on the users page above.
    const viewer = await openPage(browser, { baseURL: daemon.controlUrl });
    const v = viewer.page;
    v.setDefaultTimeout(10_000);
    try {
      await v.goto('/agents');
      await signIn(v, 'viewer@example.test', VIEWER_PASSWORD);
      await v.getByRole('row', { name: /release-bot/ }).waitFor();
      await v.locator('.badge-role', { hasText: 'viewer' }).waitFor();
      await screenshot(v, '26-viewer-agents');
      const mutating =
        /^(Add|Suspend|Resume|Rotate|Remove|Set credential|Replace credential|New policy|Save|Create|Activate|Deactivate|Disable|Enable|Delete|Restore|Read only|Ask first|Allow all|Use each)/;
      for (const [path, heading] of [
        ['/agents', 'Agents'],
        ['/connectors', 'Connectors'],
        ['/permissions', 'Permissions'],
        ['/policies?name=no-deletes', 'Policies'],
        ['/settings', 'Settings'],
      ] as const) {
        await v.goto(path);
        await v.getByRole('heading', { level: 1, name: heading }).waitFor();
        await v.waitForLoadState('networkidle');
        if (path === '/permissions') await v.getByRole('button', { name: /release-bot on github/ }).click();
        const labels = await v.getByRole('button').allInnerTexts();
        expect(
          labels.filter((l) => mutating.test(l.trim())),
          path,
        ).toEqual([]);
        if (path === '/settings') {
          await v.getByRole('region', { name: 'Retention' }).getByText('30 days').first().waitFor();
          expect(await v.getByLabel(/^Days of traffic to keep/).count()).toBe(0);
        }
        if (path.startsWith('/policies'))
          expect(await v.getByLabel('YAML of policy no-deletes').getAttribute('readonly')).not.toBeNull();
      }
      expect(
        await v.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count(),
      ).toBe(0);
      await screenshot(v, '27-viewer-settings');
      // A page the role may not read, reached by its address, says so in words and offers nothing.
      await v.goto('/users');
      await v
        .getByRole('alert')
        .getByText(/^Only admins and owners can see who can sign in/)
        .waitFor();
      expect(await v.getByRole('button', { name: 'Add user' }).count()).toBe(0);
      await screenshot(v, '28-viewer-users-refused');
      await v.getByRole('button', { name: 'Sign out' }).click();
      await v.getByRole('heading', { name: 'Sign in' }).waitFor();
      await v.goto('/agents');
      await v.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(viewer.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
    } finally {
      await viewer.context.close();
    }
  });
});
