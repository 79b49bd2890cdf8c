// Table-driven connector tests: every JSON file under test/fixtures/connectors/<type>/ holds cases
// (method, URL, headers, body → expected action, params subset, risk). Cases run the way the
// gateway runs a connector: `wantsBody` first, the body only when it says so, cut at
// `maxBodyBytes` with `bodyTruncated` set. Each catalogue action must be covered by some case.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getConnectorType } from '../../src/connectors/registry.js';
import type {
  ActionMatch,
  ConnectorOptions,
  ConnectorRequest,
  ConnectorType,
} from '../../src/connectors/types.js';

export interface FixtureCase {
  name?: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (with content-type application/json by default). */
  body?: unknown;
  /** Prepend this many bytes of padding (spaces for JSON, a `_pad=` field for strings). */
  padBefore?: number;
  /** Cut the body here and mark it truncated, as the gateway does past maxBodyBytes. */
  truncateAt?: number;
  options?: ConnectorOptions;
  expect: {
    action: string;
    risk?: string;
    params?: Record<string, unknown>;
    absent?: string[];
    wantsBody?: boolean;
  };
}

interface FixtureFile {
  options?: ConnectorOptions;
  cases: FixtureCase[];
}

const ROOT = new URL('../fixtures/connectors/', import.meta.url);

export function loadFixtures(
  type: string,
): Array<{ file: string; c: FixtureCase; options: ConnectorOptions }> {
  const dir = new URL(`${type}/`, ROOT);
  const out: Array<{ file: string; c: FixtureCase; options: ConnectorOptions }> = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const data = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as FixtureFile;
    for (const c of data.cases) out.push({ file, c, options: c.options ?? data.options ?? {} });
  }
  return out;
}

/** Split an absolute URL by hand: `new URL` would resolve dot segments the tests want to keep. */
export function requestFor(c: FixtureCase): ConnectorRequest {
  const m = /^(https?):\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?/.exec(c.url);
  if (!m) throw new Error(`bad fixture url ${c.url}`);
  const [host, port] = m[2]!.split(':') as [string, string | undefined];
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: Buffer | undefined;
  if (c.body !== undefined) {
    const pad = c.padBefore ?? 0;
    if (typeof c.body === 'string') {
      body = Buffer.from(pad > 0 ? `_pad=${'x'.repeat(pad)}&${c.body}` : c.body);
    } else {
      body = Buffer.from(' '.repeat(pad) + JSON.stringify(c.body));
      headers['content-type'] ??= 'application/json';
    }
  }
  return {
    method: c.method,
    host: host.toLowerCase(),
    port: port ? Number(port) : m[1] === 'https' ? 443 : 80,
    path: m[3] || '/',
    query: new URLSearchParams(m[4] ?? ''),
    headers,
    body,
  };
}

/** Run one case through a connector as the gateway would. */
export function runCase(
  connector: ConnectorType,
  c: FixtureCase,
  options: ConnectorOptions,
): { match: ActionMatch; wantsBody: boolean } {
  const full = requestFor(c);
  const { body, ...head } = full;
  const wantsBody = connector.wantsBody(head, options);
  const req: ConnectorRequest = { ...head };
  if (wantsBody && body !== undefined) {
    const limit = c.truncateAt ?? connector.maxBodyBytes;
    req.body = body.length > limit ? body.subarray(0, limit) : body;
    req.bodyTruncated = body.length > limit;
  }
  return { match: connector.map(req, options), wantsBody };
}

/** `mcp.tools.{tool}` covers `mcp.tools.anything`. */
function actionPattern(action: string): RegExp {
  const src = action.replace(/[.]/g, '\\.').replace(/\{[a-z_]+\}/g, '[a-z0-9_.]+');
  return new RegExp(`^${src}$`);
}

export function describeFixtures(type: string): void {
  const connector = getConnectorType(type);
  const fixtures = loadFixtures(type);
  describe(`${type} connector fixtures`, () => {
    it('is registered', () => expect(connector).toBeDefined());
    for (const { file, c, options } of fixtures) {
      it(`${file}: ${c.name ?? `${c.method} ${c.url}`}`, () => {
        const { match, wantsBody } = runCase(connector!, c, options);
        expect(match.action).toBe(c.expect.action);
        if (c.expect.risk) expect(match.risk).toBe(c.expect.risk);
        if (c.expect.params) expect(match.params).toMatchObject(c.expect.params);
        for (const key of c.expect.absent ?? []) expect(match.params).not.toHaveProperty(key);
        if (c.expect.wantsBody !== undefined) expect(wantsBody).toBe(c.expect.wantsBody);
      });
    }
    it('has a fixture for every catalogue action', () => {
      const covered = fixtures.map((f) => f.c.expect.action);
      const missing = connector!.catalogue
        .map((s) => s.action)
        .filter((a) => !covered.some((x) => actionPattern(a).test(x)));
      expect([...new Set(missing)]).toEqual([]);
    });
  });
}
