// One world per compatibility test file: the BUILT daemon (spawned, port 0), a loopback upstream
// standing for every provider, one agent with a connector per provider holding a real-looking token,
// and helpers that run a client under `tameflare run` and check what the upstream and the traffic log
// saw. Clients send the agent's dummy credential; the gateway must swap in the real one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliRun, type CliRunOptions, cliFor } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';
import { createTestCa, type RunningServer, startHttpServer, startHttpsServer } from '../helpers/test-ca.js';
import { type CompatUpstream, createCompatUpstream, type SeenRequest } from './compat-upstream.js';

export const AGENT = 'compat-bot';
/** What every client sends as its own credential: it must never reach an upstream. */
export const DUMMY = 'dummy-key-held-by-the-agent';

/** Connector name → its type, the hosts it covers here and extra `connector add` flags. */
const CONNECTORS: Record<string, { type: string; domains: string[]; flags?: string[] }> = {
  github: { type: 'github', domains: ['api.github.com', 'github.com'] },
  openai: { type: 'openai', domains: ['api.openai.com'] },
  anthropic: { type: 'anthropic', domains: ['api.anthropic.com'] },
  stripe: { type: 'stripe', domains: ['api.stripe.com'] },
  slack: { type: 'slack', domains: ['slack.com'] },
  mcp: { type: 'mcp', domains: ['mcp.test'], flags: ['--domains', 'mcp.test'] },
  // Plain-HTTP probes: a credential is injected into http:// only where the connector allows it.
  plain: {
    type: 'generic',
    domains: ['plain.test'],
    flags: ['--name', 'plain', '--domains', 'plain.test', '--allow-cleartext'],
  },
};

const DENIAL_POLICY = `name: compat-denials
rules:
  - name: no-push-to-main
    when:
      all:
        - {field: action, operator: equals, value: github.git.push}
        - {field: params.branch, operator: equals, value: main}
    decision: deny
    reason: pushes to main go through review
  - name: private-repo
    when:
      all:
        - {field: action, operator: equals, value: github.git.fetch}
        - {field: params.repo, operator: equals, value: private}
    decision: deny
    reason: octo/private is not for agents
`;

/** What a client's error must show of a denied github.repo.delete: the reason phrase or the detail. */
export const REPO_DELETE_DENIED =
  /Denied by TameFlare: github\.repo\.delete \(permission_denied\)|permission #\d+ \(agent compat-bot, connector github, github\.repo\.delete\) → deny/;

export interface TrafficEntry {
  action: string | null;
  host: string | null;
  path: string | null;
  decision: string | null;
  status: number | null;
  error: string | null;
}

export interface RoutedCheck {
  /** The connector's name (see CONNECTORS). */
  connector: string;
  host: string;
  /** The upstream request's path starts with this (query included when given). */
  path: string;
  /** The action the gateway must have mapped it to. */
  action: string;
  method?: string;
}

export interface CompatWorld {
  daemon: DaemonProcess;
  upstream: CompatUpstream;
  /** A scratch directory for client files. */
  work: string;
  /** `tameflare run --agent compat-bot -- ARGS` as the operator's shell would run it. */
  run(args: string[], opts?: CliRunOptions): Promise<CliRun>;
  /** The CLI against this daemon. */
  cli(args: string[], opts?: CliRunOptions): Promise<CliRun>;
  /**
   * Asserts that a request reached the upstream through the gateway: with the connector's real
   * credential, never the dummy, and logged with the expected action. Returns what arrived.
   */
  expectRouted(check: RoutedCheck): Promise<SeenRequest>;
  close(): Promise<void>;
}

function tokenFor(type: string): string {
  return `REAL_${type.toUpperCase()}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export async function startCompatWorld(): Promise<CompatWorld> {
  const work = mkdtempSync(join(tmpdir(), 'tf-compat-'));
  const ca = await createTestCa();
  writeFileSync(join(work, 'upstream-ca.pem'), ca.certPem);
  const upstream = createCompatUpstream();
  const hosts = Object.values(CONNECTORS).flatMap((c) => c.domains);
  const tls: RunningServer<HttpsServer> = await startHttpsServer(upstream.handler, { hosts, ca });
  const plain: RunningServer<HttpServer> = await startHttpServer(upstream.handler);
  tls.server.on('upgrade', upstream.upgrade);
  plain.server.on('upgrade', upstream.upgrade);
  const connectTo = hosts.flatMap((h) => [
    '--connect-to',
    `${h}:443:127.0.0.1:${tls.port}`,
    '--connect-to',
    `${h}:80:127.0.0.1:${plain.port}`,
  ]);
  const daemon = await startDaemonProcess({
    args: [
      '--upstream-ca',
      join(work, 'upstream-ca.pem'),
      ...connectTo,
      '--unsafe-allow-private-egress',
      '127.0.0.0/8',
    ],
  });
  const cli = cliFor(daemon);
  const must = async (args: string[], input?: string) => {
    const r = await cli(args, input === undefined ? {} : { input });
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  };
  const tokens: Record<string, string> = {};
  await must(['agent', 'add', AGENT, '--json']);
  // In parallel: on a loaded machine a dozen CLI starts one after the other take most of a minute.
  await Promise.all(
    Object.entries(CONNECTORS).map(async ([name, connector]) => {
      tokens[name] = tokenFor(name);
      await must(
        ['connector', 'add', connector.type, ...(connector.flags ?? []), '--token-stdin'],
        `${tokens[name]}\n`,
      );
      await must(['permissions', 'preset', '--agent', AGENT, '--connector', name, 'allow-all']);
    }),
  );
  // What the denial probes are refused: deleting a repository and the MCP tool drop_tables (no
  // permission), a push to main and any fetch of octo/private (a policy, decided on the request's
  // parameters, so a push is refused on its POST, past the ref advertisement).
  const policy = join(work, 'compat-policy.yaml');
  writeFileSync(policy, DENIAL_POLICY);
  await Promise.all([
    must([
      'permissions',
      'set',
      '--agent',
      AGENT,
      '--connector',
      'github',
      '--action',
      'github.repo.delete',
      '--decision',
      'deny',
    ]),
    must([
      'permissions',
      'set',
      '--agent',
      AGENT,
      '--connector',
      'mcp',
      '--action',
      'mcp.tools.drop_tables',
      '--decision',
      'deny',
    ]),
    must(['policy', 'apply', '--file', policy]),
  ]);
  const cliToken = readFileSync(join(daemon.dataDir, 'cli.token'), 'utf8').trim();

  async function traffic(): Promise<TrafficEntry[]> {
    const res = await fetch(`${daemon.controlUrl}/v1/traffic?agent=${AGENT}&last=1000`, {
      headers: { authorization: `Bearer ${cliToken}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { entries: TrafficEntry[] }).entries;
  }

  return {
    daemon,
    upstream,
    work,
    cli,
    run: (args, opts = {}) => cli(['run', '--agent', AGENT, '--', ...args], { cwd: work, ...opts }),
    async expectRouted(check) {
      const arrived = upstream.seen.filter(
        (s) =>
          s.host === check.host &&
          s.url.startsWith(check.path) &&
          (check.method === undefined || s.method === check.method),
      );
      expect(arrived.length, `the upstream never saw ${check.host}${check.path}`).toBeGreaterThan(0);
      const credential = tokens[check.connector];
      for (const seen of arrived) {
        expect(JSON.stringify(seen.rawHeaders)).toContain(credential);
        expect(JSON.stringify(seen.rawHeaders) + seen.url + seen.body).not.toContain(DUMMY);
      }
      // The traffic row travels to the control plane asynchronously (the gateway's outbox).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const rows = await traffic();
        const row = rows.find(
          (r) =>
            r.host === check.host &&
            r.action === check.action &&
            (r.path ?? '').startsWith(check.path.split('?')[0]!),
        );
        if (row) {
          expect(row.decision).toBe('allow');
          break;
        }
        if (Date.now() > deadline) {
          const seen = rows.map((r) => `${r.host} ${r.path} ${r.action}`).join('\n');
          throw new Error(`no traffic row for ${check.host}${check.path} as ${check.action}; rows:\n${seen}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return arrived[arrived.length - 1]!;
    },
    async close() {
      await daemon.stop();
      await Promise.all([tls.close(), plain.close()]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
