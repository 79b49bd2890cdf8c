// buildAgentEnvironment, proxyUrlFor and formatEnvironment: the values, and their quoting read back by
// the real consumers (sh, fish when installed, Node's dotenv parser, Node's NODE_OPTIONS parser).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAgentEnvironment,
  formatEnvironment,
  proxyUrlFor,
  quoteNodeOption,
} from '../../src/agent-env/proxy-env.js';
import { runCaptured } from './helpers.js';

const INPUT = {
  proxyUrl: 'http://bot:tf_sess_x@127.0.0.1:9443',
  caCertPath: '/data/ca.crt',
  caBundlePath: '/data/ca-bundle.pem',
  preloadPath: '/opt/tameflare/dist/src/agent-env/preload.cjs',
  baseEnv: {},
};

const NASTY = `it's "quoted" $HOME \`uname\` \\back\\slash ; & | * ? ~ # newline\nand\ttab ünïcødé`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-proxy-env-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('buildAgentEnvironment', () => {
  it('sets the proxy in both cases, loopback NO_PROXY, every CA variable, and the preload', () => {
    expect(buildAgentEnvironment(INPUT)).toEqual({
      HTTP_PROXY: INPUT.proxyUrl,
      HTTPS_PROXY: INPUT.proxyUrl,
      http_proxy: INPUT.proxyUrl,
      https_proxy: INPUT.proxyUrl,
      NO_PROXY: 'localhost,127.0.0.1,::1,[::1]',
      no_proxy: 'localhost,127.0.0.1,::1,[::1]',
      NODE_EXTRA_CA_CERTS: '/data/ca.crt',
      SSL_CERT_FILE: '/data/ca-bundle.pem',
      REQUESTS_CA_BUNDLE: '/data/ca-bundle.pem',
      CURL_CA_BUNDLE: '/data/ca-bundle.pem',
      GIT_SSL_CAINFO: '/data/ca-bundle.pem',
      NODE_USE_ENV_PROXY: '1',
      GIT_TERMINAL_PROMPT: '0',
      NODE_OPTIONS: '--require /opt/tameflare/dist/src/agent-env/preload.cjs',
    });
  });

  it('sets no ALL_PROXY: it would send non-HTTP protocols to a proxy that only speaks HTTP', () => {
    expect(Object.keys(buildAgentEnvironment(INPUT)).filter((k) => /all_proxy/i.test(k))).toEqual([]);
  });

  it('keeps existing NO_PROXY entries from either case, once each, but never `*`', () => {
    const env = buildAgentEnvironment({
      ...INPUT,
      baseEnv: { NO_PROXY: '.corp.example, localhost', no_proxy: 'intranet,*,.corp.example' },
    });
    expect(env['NO_PROXY']).toBe('localhost,127.0.0.1,::1,[::1],intranet,.corp.example');
    expect(env['no_proxy']).toBe(env['NO_PROXY']);
  });

  it('appends the preload to an existing NODE_OPTIONS, and only once when nested', () => {
    const first = buildAgentEnvironment({ ...INPUT, baseEnv: { NODE_OPTIONS: '--max-old-space-size=512' } });
    expect(first['NODE_OPTIONS']).toBe(
      '--max-old-space-size=512 --require /opt/tameflare/dist/src/agent-env/preload.cjs',
    );
    const nested = buildAgentEnvironment({ ...INPUT, baseEnv: { NODE_OPTIONS: first['NODE_OPTIONS'] } });
    expect(nested['NODE_OPTIONS']).toBe(first['NODE_OPTIONS']);
  });

  it('leaves GIT_TERMINAL_PROMPT to the operator when they set it', () => {
    expect(buildAgentEnvironment({ ...INPUT, baseEnv: { GIT_TERMINAL_PROMPT: '1' } })).not.toHaveProperty(
      'GIT_TERMINAL_PROMPT',
    );
  });

  it('refuses a proxy URL the preload could not use', () => {
    expect(() => buildAgentEnvironment({ ...INPUT, proxyUrl: 'https://a:b@gw:9443' })).toThrow(/http:\/\//);
  });

  it('produces a NODE_OPTIONS that node accepts for a preload under a path with spaces and quotes', async () => {
    const weird = join(dir, `dir with space "and quote"`);
    await mkdir(weird);
    const preloadPath = join(weird, 'preload.cjs');
    await writeFile(preloadPath, 'globalThis.tfMarker = "loaded";\n');
    const env = buildAgentEnvironment({ ...INPUT, preloadPath, baseEnv: { NODE_OPTIONS: '--no-warnings' } });
    const out = await runCaptured(process.execPath, ['-p', 'globalThis.tfMarker'], {
      PATH: process.env['PATH'] ?? '',
      NODE_OPTIONS: env['NODE_OPTIONS']!,
    });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('loaded\n');
  });
});

describe('quoteNodeOption', () => {
  it('leaves plain values alone', () => {
    expect(quoteNodeOption(pathToFileURL('/a b/c').href)).toBe('file:///a%20b/c');
  });

  it('quotes so that Node splits NODE_OPTIONS back into the same value', async () => {
    const weird = join(dir, `req with space "q" back\\slash`);
    await mkdir(weird);
    const file = join(weird, 'pre.cjs');
    await writeFile(file, 'globalThis.tfMarker = "required";\n');
    const out = await runCaptured(process.execPath, ['-p', 'globalThis.tfMarker'], {
      PATH: process.env['PATH'] ?? '',
      NODE_OPTIONS: `--require ${quoteNodeOption(file)}`,
    });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('required\n');
  });
});

describe('proxyUrlFor', () => {
  it('percent-encodes user and password so that any character survives', () => {
    const url = proxyUrlFor({
      host: '127.0.0.1',
      port: 9443,
      agent: "ag@nt o'ne",
      key: 'k:/?#[]@!$&()*+,;=%',
    });
    expect(url).toBe(
      'http://ag%40nt%20o%27ne:k%3A%2F%3F%23%5B%5D%40%21%24%26%28%29%2A%2B%2C%3B%3D%25@127.0.0.1:9443',
    );
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe("ag@nt o'ne");
    expect(decodeURIComponent(parsed.password)).toBe('k:/?#[]@!$&()*+,;=%');
    expect(parsed.host).toBe('127.0.0.1:9443');
  });

  it('brackets an IPv6 host', () => {
    expect(proxyUrlFor({ host: '::1', port: 9444, agent: 'a', key: 'k' })).toBe('http://a:k@[::1]:9444');
  });

  it.each([0, 70_000, 1.5])('rejects port %s', (port) => {
    expect(() => proxyUrlFor({ host: 'h', port, agent: 'a', key: 'k' })).toThrow(RangeError);
  });
});

describe('formatEnvironment', () => {
  const vars = { PLAIN: 'http://a%40b:k@127.0.0.1:9443', NASTY, EMPTY: '' };

  it('sh: `export` lines that sh reads back exactly', () => {
    const script = `${formatEnvironment(vars, 'sh')}printf '%s\\0' "$PLAIN" "$NASTY" "$EMPTY"`;
    const out = execFileSync('sh', ['-c', script], { env: { PATH: process.env['PATH'] ?? '' } }).toString();
    expect(out.split('\0').slice(0, 3)).toEqual([vars.PLAIN, NASTY, '']);
    // exported, not just set: a child of that shell sees them
    const child = execFileSync('sh', ['-c', `${formatEnvironment(vars, 'sh')}env`]).toString();
    expect(child).toContain(`PLAIN=${vars.PLAIN}\n`);
  });

  const fish = (() => {
    try {
      execFileSync('fish', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!fish)('fish: `set -gx` lines that fish reads back exactly', () => {
    const script = `${formatEnvironment(vars, 'fish')}printf '%s\\0' "$PLAIN" "$NASTY" "$EMPTY"`;
    const out = execFileSync('fish', ['-c', script]).toString();
    expect(out.split('\0').slice(0, 3)).toEqual([vars.PLAIN, NASTY, '']);
  });

  it('dotenv: values Node reads back exactly; quotes chosen per value', () => {
    const portable = {
      PLAIN: vars.PLAIN,
      SPACE: '/path with space/ca.crt',
      SINGLE: `it's`,
      OPTS: '--import "file:///x y"',
      EMPTY: '',
    };
    const text = formatEnvironment(portable, 'dotenv');
    expect(text).toBe(
      [
        `PLAIN=${vars.PLAIN}`,
        `SPACE='/path with space/ca.crt'`,
        `SINGLE="it's"`,
        `OPTS='--import "file:///x y"'`,
        'EMPTY=',
        '',
      ].join('\n'),
    );
    expect(parseEnv(text)).toEqual(portable);
  });

  it('dotenv: refuses a value no dotenv parser would read back the same', () => {
    expect(() => formatEnvironment({ NASTY }, 'dotenv')).toThrow(/NASTY.*--format json/);
    expect(() => formatEnvironment({ BOTH: `'"$` }, 'dotenv')).toThrow(/BOTH/);
  });

  it('json: an object', () => {
    expect(JSON.parse(formatEnvironment(vars, 'json'))).toEqual(vars);
  });

  it('rejects a name no shell could export', () => {
    expect(() => formatEnvironment({ 'BAD-NAME': 'x' }, 'sh')).toThrow(/BAD-NAME/);
    expect(() => formatEnvironment({ 'X;rm -rf /': 'x' }, 'sh')).toThrow(TypeError);
  });
});
