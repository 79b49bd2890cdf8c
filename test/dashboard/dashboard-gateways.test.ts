// The overview shows the health of every gateway registered with the control plane (/v1/gateways),
// in a real headless Chromium against the real daemon: this process's own gateway (connected, the
// configuration it runs) and a second gateway that registered over the real link and then went
// quiet (unreachable, behind on configuration, events waiting, a port it could not open).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa } from '../helpers/test-ca.js';
import { launchBrowser, openPage, screenshot, type WatchedPage } from './browser.js';

const OWNER_PASSWORD = 'dashboard owner password 1';
const SERVICE_TOKEN = 'dashboard-gateways-service-token-0123456789';

let daemon: DaemonProcess;
let browser: Browser;
let owner: WatchedPage;
let page: Page;

beforeAll(async () => {
  daemon = await startDaemonProcess({
    env: { TAMEFLARE_ADMIN_PASSWORD: OWNER_PASSWORD, GATEWAY_SERVICE_TOKEN: SERVICE_TOKEN },
  });
  browser = await launchBrowser();
  owner = await openPage(browser, { baseURL: daemon.controlUrl });
  page = owner.page;
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

/** A second gateway registers as a real one does (service token, its own CA), once. */
async function registerQuietGateway(): Promise<void> {
  const ca = await createTestCa();
  const res = await fetch(`${daemon.controlUrl}/internal/gateway/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      gateway: 'edge-2',
      version: '0.0.9',
      public_url: 'http://edge-2.internal:9443',
      ca_pem: ca.certPem,
      ca_fingerprint: new X509Certificate(ca.certPem).fingerprint256,
      agent_ports: { start: 19444, end: 19450, open: [19444], errors: { '19445': 'EADDRINUSE: taken' } },
      config_version: 0,
      outbox_backlog: 7,
      started_at: new Date().toISOString(),
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The text of each cell of a gateway's row in the overview's Gateways table. */
async function cellsOf(name: string) {
  const row = page.getByRole('row', { name: new RegExp(`^${name}\\b`) });
  const [link, version, address, lastSeen, config, backlog, ports] = (
    await row.getByRole('cell').allTextContents()
  ).map((t) => t.trim());
  return { link, version, address, lastSeen, config, backlog, ports };
}

describe('overview: gateway health', () => {
  it('shows each gateway: link, version, address, last seen, configuration, backlog and ports', async () => {
    await page.goto('/');
    await page.getByLabel('Email').fill('admin@localhost');
    await page.getByLabel('Password').fill(OWNER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();

    // This process's gateway reports over the same link as a remote one would, and runs the
    // configuration the control plane holds for it (its report follows each snapshot).
    await page.getByText('1 of 1 connected').waitFor();
    await eventually(
      async () => {
        await page.reload();
        return cellsOf('default');
      },
      (c) => c.link === 'connected' && /^(\d+) of \1$/.test(c.config ?? ''),
      'the own gateway connected and up to date',
      30_000,
    );
    expect((await cellsOf('default')).address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await registerQuietGateway();
    await page.reload();
    await page.getByText('1 of 2 connected').waitFor();
    const quiet = await cellsOf('edge-2');
    expect(quiet).toMatchObject({
      link: 'unreachable',
      version: '0.0.9',
      address: 'http://edge-2.internal:9443',
      backlog: '7',
    });
    expect(quiet.config).toMatch(/^0 of \d+ behind$/);
    expect(quiet.ports).toBe('19444–19450, 1 openport 19445: EADDRINUSE: taken');
    expect(quiet.lastSeen).not.toBe('—');
    await page.getByText('7 events waiting in outboxes').waitFor();
    await screenshot(page, '30-overview-gateways');
  });

  it('follows the registry: a removed gateway leaves the overview', async () => {
    const token = readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim();
    const res = await fetch(`${daemon.controlUrl}/v1/gateways/edge-2`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    await page.reload();
    await page.getByText('1 of 1 connected').waitFor();
    expect(await page.getByRole('row', { name: /^edge-2/ }).count()).toBe(0);
    // The sign-in page's first look at /v1/auth/me is a 401 by design; nothing else may fail.
    expect(
      owner.problems.filter(
        (p) => !/Failed to load resource: the server responded with a status of 401/.test(p),
      ),
    ).toEqual([]);
  });
});
