// Shared by the approval tests: a recording upstream, a daemon configured with an agent whose
// requests to plain.test need approval, curl through its gateway, and polling for an approval.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/resolve-config.js';
import type { Role } from '../../src/control/accounts/roles.js';
import { createApiToken } from '../../src/control/tokens/token-store.js';
import { createContext, type DaemonContext } from '../../src/daemon/create-context.js';
import { openControlDatabase } from '../../src/storage/control-database.js';
import type { ApprovalWire } from '../../src/wire/approvals.js';
import { cliFor, eventually, json } from '../cli/cli-harness.js';
import { dropTestDatabase, testDatabaseEnv } from '../helpers/postgres-schema.js';
import { cleanEnv, runClient } from '../helpers/run-client.js';
import type { DaemonProcess } from '../helpers/spawn-daemon.js';
import { type RunningServer, startHttpServer } from '../helpers/test-ca.js';

export interface Seen {
  method: string;
  url: string;
  body: string;
}

export interface RecordingUpstream {
  server: RunningServer<import('node:http').Server>;
  seen: Seen[];
  count(url: string): number;
}

/** Answers `upstream saw METHOD URL BODY` and remembers every request. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const seen: Seen[] = [];
  const server = await startHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.end(`upstream saw ${req.method} ${req.url} ${body}`.trim());
    });
  });
  return { server, seen, count: (url) => seen.filter((s) => s.url === url).length };
}

export const POLICY = `name: approval-tests
scope:
  connectors: [plain]
rules:
  - name: quick
    when: { field: path, operator: starts_with, value: /quick }
    decision: require_approval
    reason: quick paths are held briefly
    approval: { timeout_seconds: 1 }
  - name: finance
    when: { field: path, operator: starts_with, value: /finance }
    decision: require_approval
    reason: finance paths need an admin
    approval: { approver_roles: [admin] }
`;

export type Cli = ReturnType<typeof cliFor>;

/** Agent `bot` (every plain.test request needs approval) and the policy above; returns bot's key. */
export async function configureApprovals(cli: Cli, dir: string): Promise<string> {
  const add = await cli(['agent', 'add', 'bot', '--json']);
  if (add.code !== 0) throw new Error(add.stderr);
  const key = json<{ key: string }>(add).key;
  const steps = [
    ['connector', 'add', 'generic', '--name', 'plain', '--domains', 'plain.test'],
    [
      'permissions',
      'set',
      '--agent',
      'bot',
      '--connector',
      'plain',
      '--action',
      '*',
      '--decision',
      'require_approval',
    ],
  ];
  for (const step of steps) {
    const r = await cli(step);
    if (r.code !== 0) throw new Error(`${step.join(' ')}: ${r.stderr}`);
  }
  const file = join(dir, 'approval-policy.yaml');
  writeFileSync(file, POLICY);
  const policy = await cli(['policy', 'apply', '-f', file]);
  if (policy.code !== 0) throw new Error(policy.stderr);
  return key;
}

export function proxyFor(daemon: Pick<DaemonProcess, 'gatewayUrl'>, agent: string, key: string): string {
  const gw = new URL(daemon.gatewayUrl);
  return `http://${agent}:${key}@${gw.host}`;
}

/** curl through the gateway (a real client), with extra curl arguments; waits as long as a hold may. */
export async function curlVia(proxy: string, url: string, extra: string[] = []) {
  const r = await runClient('curl', ['-sS', '-D', '-', '-w', '\n%{http_code}', '-x', proxy, ...extra, url], {
    env: cleanEnv(),
    timeoutMs: 300_000,
  });
  const lines = r.stdout.split('\n');
  const status = Number(lines.pop());
  const text = lines.join('\n');
  const split = text.lastIndexOf('\r\n\r\n');
  return { status, headers: text.slice(0, split), body: text.slice(split + 4), stderr: r.stderr };
}

/** The control plane's API with a token (polling through it is cheaper than a CLI process per look). */
export interface ControlApi {
  controlUrl: string;
  token: string;
}

export function controlApiOf(daemon: { controlUrl: string; dataDir: string }): ControlApi {
  return {
    controlUrl: daemon.controlUrl,
    token: readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim(),
  };
}

export async function callApi<T = Record<string, unknown>>(
  api: ControlApi,
  method: string,
  path: string,
  body?: unknown,
  token = api.token,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${api.controlUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** Decides through the API; throws unless it worked. */
export async function decide(api: ControlApi, id: string, verdict: 'approve' | 'deny', body: object = {}) {
  const r = await callApi(api, 'POST', `/v1/approvals/${id}/${verdict}`, body);
  if (r.status !== 200) throw new Error(`${verdict} ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Waits until an approval of `status` exists whose path starts with `pathPrefix` (and `more` holds). */
export async function approvalFor(
  api: ControlApi,
  pathPrefix: string,
  more: (a: ApprovalWire) => boolean = () => true,
  status = 'pending',
): Promise<ApprovalWire> {
  const match = (a: ApprovalWire) => a.path?.startsWith(pathPrefix) === true && more(a);
  const list = await eventually(
    async () =>
      (await callApi<{ approvals: ApprovalWire[] }>(api, 'GET', `/v1/approvals?status=${status}`)).body,
    (l) => l.approvals?.some(match) === true,
    `an approval ${status} for ${pathPrefix}`,
    20_000,
  );
  return list.approvals.find(match)!;
}

export function problemOf(body: string): Record<string, unknown> {
  return JSON.parse(body) as Record<string, unknown>;
}

export interface InProcessDaemon {
  context: DaemonContext;
  controlUrl: string;
  gatewayUrl: string;
  dataDir: string;
  ownerToken: string;
  cli: Cli;
  /** The API as the owner. */
  control: ControlApi;
  tokenWithRole(role: Role): Promise<string>;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Both roles in this process (so the clock can be mocked), its CLI the built one. */
export async function startInProcess(opts: {
  now?: () => Date;
  upstreamPort: number;
}): Promise<InProcessDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-approvals-inproc-'));
  const { config } = resolveConfig({
    flags: {
      dataDir,
      port: '0',
      gatewayPort: '0',
      agentPortStart: String(32_000 + Math.floor(Math.random() * 300) * 10),
      connectTo: [`plain.test:80:127.0.0.1:${opts.upstreamPort}`],
      unsafeAllowPrivateEgress: '127.0.0.0/8',
    },
    env: await testDatabaseEnv(dataDir),
  });
  const context = await createContext(config, {
    logger: pino({ level: 'silent' }),
    now: opts.now,
    adminPassword: 'approvals-in-process-123',
  });
  const urls = await context.start();
  const ownerToken = readFileSync(join(dataDir, 'cli.token'), 'utf8').trim();
  // The control plane's own database, whichever it is (local.db, or PostgreSQL in that test project).
  const db = await openControlDatabase({
    localDbPath: join(dataDir, 'local.db'),
    databaseUrl: config.databaseUrl,
  });
  const controlUrl = urls.controlUrl!;
  const control: ControlApi = { controlUrl, token: ownerToken };
  return {
    context,
    controlUrl,
    gatewayUrl: urls.gatewayUrl!,
    dataDir,
    ownerToken,
    cli: cliFor({ controlUrl, dataDir } as DaemonProcess),
    control,
    async tokenWithRole(role) {
      return (
        await createApiToken(
          db.db,
          { name: `t-${role}`, role, userId: null, expiresAt: null },
          { actor: 'test' },
        )
      ).token;
    },
    api: (method, path, body, token) => callApi(control, method, path, body, token),
    async close() {
      await db.close();
      await context.close();
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestDatabase(dataDir);
    },
  };
}
