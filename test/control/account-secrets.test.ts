// Planted-secret sweep for the control plane's own secrets: a person's passwords, an API token, a
// dashboard session cookie, an agent key used in SDK mode, a decision token, and the signing key
// (before and after `keys rotate`). After using them all through the built daemon (debug logging),
// each is searched for in every file of the data directory (databases with -wal and -shm), the
// daemon's log, every GET answer the OpenAPI document lists, and all CLI output except the one answer
// that hands each secret out. They may appear only as hashes (and the live private key only in
// signing.key).
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, json } from '../cli/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

const PASSWORD = `pw-PLANTED-${Math.random().toString(36).slice(2)}-long`;
const PASSWORD2 = `pw2-PLANTED-${Math.random().toString(36).slice(2)}-long`;
let work: string;
let dataDir: string;
let daemon: DaemonProcess;
let cli: ReturnType<typeof cliFor>;
const printed: string[] = [];
const secrets: Record<string, string> = {};

function privateParts(pem: string): string[] {
  const d = createPrivateKey(pem).export({ format: 'jwk' }).d!;
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return [d, body.slice(20, 80)];
}

async function api<T>(
  method: string,
  path: string,
  body: unknown,
  token: string,
  extra: Record<string, string> = {},
) {
  const res = await fetch(`${daemon.controlUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tf-acct-secrets-'));
  dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  daemon = await startDaemonProcess({ dataDir, env: { TAMEFLARE_LOG_LEVEL: 'debug' } });
  cli = cliFor(daemon);
  const keep = (r: { stdout: string; stderr: string; code: number | null }) => {
    expect(r.code, r.stderr).toBe(0);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  keep(
    await cli(['user', 'add', 'ann@example.org', '--role', 'owner', '--password-stdin'], { input: PASSWORD }),
  );
  keep(await cli(['user', 'passwd', 'ann@example.org', '--password-stdin'], { input: PASSWORD2 }));
  // Handed out once: not kept among what is searched.
  secrets.apiToken = json<{ token: string }>(
    await cli(['token', 'create', '--name', 'sweep', '--role', 'admin', '--json']),
  ).token;
  secrets.agentKey = json<{ key: string }>(await cli(['agent', 'add', 'sweep-bot', '--json'])).key;
  keep(await cli(['connector', 'add', 'github']));
  keep(await cli(['permissions', 'preset', '--agent', 'sweep-bot', '--connector', 'github', 'allow-all']));
  keep(await cli(['agent', 'list'], { env: { TAMEFLARE_TOKEN: secrets.apiToken } }));
  const login = await fetch(`${daemon.controlUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ann@example.org', password: PASSWORD2 }),
  });
  expect(login.status).toBe(200);
  secrets.session = /^tf_session=([^;]*)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  const me = await fetch(`${daemon.controlUrl}/v1/auth/me`, {
    headers: { cookie: `tf_session=${secrets.session}` },
  });
  expect(me.status).toBe(200);
  const d = await api<{ decision_token: string; action_request_id: string }>(
    'POST',
    '/v1/actions',
    { type: 'github.pr.create', parameters: { owner: 'o', repo: 'r' } },
    secrets.agentKey,
  );
  secrets.decisionToken = d.body.decision_token;
  expect(
    (
      await api(
        'POST',
        `/v1/actions/${d.body.action_request_id}/execute`,
        { decision_token: secrets.decisionToken },
        secrets.agentKey,
      )
    ).status,
  ).toBe(200);
  const [oldD, oldPem] = privateParts(readFileSync(join(dataDir, 'signing.key'), 'utf8'));
  secrets.oldSigningKeyD = oldD!;
  secrets.oldSigningKeyPem = oldPem!;
  keep(await cli(['keys', 'rotate']));
  const [newD] = privateParts(readFileSync(join(dataDir, 'signing.key'), 'utf8'));
  secrets.signingKeyD = newD!;
  // Sign something with the new key, so it has been used.
  await api('POST', '/v1/actions', { type: 'github.pr.create', parameters: {} }, secrets.agentKey);
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function sweepText(where: string, text: string, found: string[], allowed: Record<string, boolean> = {}) {
  for (const [name, value] of [
    ...Object.entries(secrets),
    ['password', PASSWORD],
    ['password2', PASSWORD2],
  ] as [string, string][]) {
    if (allowed[name]) continue;
    if (text.includes(value)) found.push(`${name} in ${where}`);
  }
}

function sweepDataDir(found: string[]) {
  for (const file of readdirSync(dataDir)) {
    const path = join(dataDir, file);
    if (!statSync(path).isFile()) continue;
    // signing.key is where the live private key belongs.
    sweepText(
      file,
      readFileSync(path).toString('latin1'),
      found,
      file === 'signing.key' ? { signingKeyD: true } : {},
    );
  }
}

/** The first event of a server-sent event stream, then the stream is closed. */
async function firstEvent(path: string, token: string): Promise<string> {
  const stop = new AbortController();
  const res = await fetch(`${daemon.controlUrl}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: stop.signal,
  });
  expect(res.status, path).toBe(200);
  const reader = res.body!.getReader();
  let text = '';
  while (!/\ndata:[^\n]*\n\n/.test(`\n${text}`)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  stop.abort();
  return text;
}

describe('account secrets', () => {
  it('appear in no file of the data dir (running), no log line, no GET answer and no CLI output', async () => {
    const found: string[] = [];
    sweepDataDir(found);
    sweepText('the daemon log', daemon.logs(), found);
    for (const text of printed) sweepText('CLI output', text, found);
    const spec = (await (await fetch(`${daemon.controlUrl}/v1/openapi.json`)).json()) as {
      paths: Record<string, object>;
    };
    const owner = readFileSync(join(dataDir, 'cli.token'), 'utf8').trim();
    let swept = 0;
    for (const [path, ops] of Object.entries(spec.paths)) {
      if (!('get' in ops) || !path.startsWith('/v1/') || path.includes('{')) continue;
      if (path.endsWith('/stream')) {
        // A live feed never ends: its first event (the current state) is what it would show.
        sweepText(`GET ${path}`, await firstEvent(path, owner), found);
        swept++;
        continue;
      }
      const res = await fetch(`${daemon.controlUrl}${path}`, {
        headers: { authorization: `Bearer ${owner}` },
      });
      expect(res.status, path).toBe(200);
      sweepText(`GET ${path}`, await res.text(), found);
      swept++;
    }
    expect(swept).toBeGreaterThan(15);
    expect(found).toEqual([]);
    // The old private key is gone from disk, not kept beside the new one.
    expect(readdirSync(dataDir).filter((f) => f.startsWith('signing.key'))).toEqual(['signing.key']);
  });

  it('and still nowhere after the daemon stopped (WAL checkpointed into the databases)', async () => {
    await daemon.stop();
    const found: string[] = [];
    sweepDataDir(found);
    expect(found).toEqual([]);
  });
});
