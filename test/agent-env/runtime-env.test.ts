// The variables and files for runtimes beyond curl and Node (runtime-env.ts, runtime-files.ts,
// agent-environment.ts), and the Python sitecustomize's chaining, with real interpreters and files.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareAgentEnvironment } from '../../src/agent-env/agent-environment.js';
import { javaNonProxyHosts, runtimeVariables } from '../../src/agent-env/runtime-env.js';
import { phpIniText, wgetrcText } from '../../src/agent-env/runtime-files.js';
import { assertBuilt, PRELOAD_PATH, runCaptured } from './helpers.js';

let dir: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'tf-runtime-env-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runtimeVariables', () => {
  const base = { caCertPath: '/d/ca.crt', noProxy: 'localhost,127.0.0.1,::1,[::1],.corp.example,db:5432' };

  it('chains PYTHONPATH and PHP_INI_SCAN_DIR after what the caller had', () => {
    const vars = runtimeVariables({
      ...base,
      files: { pythonDir: '/tf/python', phpIniDir: '/run/php', wgetrc: '/run/wgetrc' },
      baseEnv: { PYTHONPATH: `/mine${delimiter}/tf/python`, PHP_INI_SCAN_DIR: '/etc/php/custom' },
    });
    expect(vars['PYTHONPATH']).toBe(`/tf/python${delimiter}/mine`);
    expect(vars['PHP_INI_SCAN_DIR']).toBe(`/etc/php/custom${delimiter}/run/php`);
    expect(vars['WGETRC']).toBe('/run/wgetrc');
    expect(vars['DENO_CERT']).toBe('/d/ca.crt');
  });

  it("keeps PHP's compiled-in scan directory with a leading empty entry", () => {
    const vars = runtimeVariables({ ...base, files: { phpIniDir: '/run/php' }, baseEnv: {} });
    expect(vars['PHP_INI_SCAN_DIR']).toBe(`${delimiter}/run/php`);
  });

  it('gives Java proxy properties, tunnelling Basic auth and the trust store, after existing options', () => {
    const vars = runtimeVariables({
      ...base,
      files: { java: { proxyHost: '127.0.0.1', proxyPort: 4242, trustStore: '/dir with space/ts.p12' } },
      baseEnv: { JAVA_TOOL_OPTIONS: '-Xmx1g' },
    });
    const options = vars['JAVA_TOOL_OPTIONS']!;
    expect(options.startsWith('-Xmx1g ')).toBe(true);
    for (const option of [
      '-Dhttps.proxyHost=127.0.0.1',
      '-Dhttps.proxyPort=4242',
      '-Dhttp.proxyPort=4242',
      '-Djdk.http.auth.tunneling.disabledSchemes=',
      '"-Djavax.net.ssl.trustStore=/dir with space/ts.p12"',
      '-Djavax.net.ssl.trustStorePassword=changeit',
    ]) {
      expect(options.split(/ (?=-|")/)).toContain(option);
    }
    expect(options).not.toMatch(/tf_sess|password=(?!changeit)/);
  });

  it('sets nothing for a runtime whose files were not made', () => {
    expect(Object.keys(runtimeVariables({ ...base, files: {}, baseEnv: {} }))).toEqual(['DENO_CERT']);
  });
});

describe('javaNonProxyHosts', () => {
  it('turns NO_PROXY into Java wildcards without ports or brackets', () => {
    expect(javaNonProxyHosts('localhost,127.0.0.1,::1,[::1],.corp.example,db:5432,[fd00::1]:80,*')).toBe(
      'localhost|127.0.0.1|::1|*.corp.example|db|fd00::1',
    );
  });
});

describe('runtime files', () => {
  it('a wgetrc keeps your own settings first and trusts the bundle', () => {
    const text = wgetrcText('/d/ca-bundle.pem', 'timeout = 7\n');
    expect(text.indexOf('timeout = 7')).toBeLessThan(text.indexOf('ca_certificate = /d/ca-bundle.pem'));
    expect(text).toContain('use_proxy = on');
  });

  it('the PHP ini quotes the path', () => {
    expect(phpIniText('/a "b"/c.pem')).toContain('curl.cainfo = "/a \\"b\\"/c.pem"');
    expect(phpIniText('/x.pem')).toContain('openssl.cafile = "/x.pem"');
  });

  it('`run` keeps its files in a private directory it removes; `env` in the data directory', async () => {
    const stateDir = join(dir, 'state');
    await mkdir(stateDir);
    const common = {
      proxyUrl: 'http://bot:tf_sess_secret@127.0.0.1:9443',
      caCertPath: join(dir, 'ca.crt'),
      caBundlePath: join(dir, 'ca-bundle.pem'),
      preloadPath: PRELOAD_PATH,
      stateDir,
      // No java on this PATH: nothing Java is made (that path is covered by the compat suite).
      baseEnv: { PATH: join(dir, 'no-such-bin'), HOME: dir, TMPDIR: dir },
      warn: () => {},
    };
    const run = await prepareAgentEnvironment({ ...common, purpose: 'run' });
    const runDir = dirname(run.vars['WGETRC']!);
    expect(runDir.startsWith(join(dir, 'tameflare-run-'))).toBe(true);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(await readFile(run.vars['WGETRC']!, 'utf8')).toContain(`ca_certificate = ${common.caBundlePath}`);
    expect(run.vars['PYTHONPATH']).toBe(join(dirname(PRELOAD_PATH), 'assets', 'python'));
    expect(existsSync(join(run.vars['PYTHONPATH']!, 'sitecustomize.py'))).toBe(true);
    expect(run.vars['JAVA_TOOL_OPTIONS']).toBeUndefined();
    for (const file of [run.vars['WGETRC']!, join(run.vars['PHP_INI_SCAN_DIR']!.slice(1), 'tameflare.ini')]) {
      expect(await readFile(file, 'utf8')).not.toContain('tf_sess_secret');
    }
    await run.close();
    expect(existsSync(runDir)).toBe(false);

    const env = await prepareAgentEnvironment({ ...common, purpose: 'env' });
    expect(env.vars['WGETRC']).toBe(join(stateDir, 'agent-env', 'wgetrc'));
    await env.close();
    expect(existsSync(env.vars['WGETRC']!)).toBe(true);
  });
});

describe('the Python sitecustomize', () => {
  const python = (() => {
    try {
      execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!python)(
    'runs the sitecustomize Python would have run without it, and stays silent',
    async () => {
      const own = join(dir, 'own-site');
      await mkdir(own);
      await writeFile(join(own, 'sitecustomize.py'), 'import builtins\nbuiltins.TF_OWN_SITE = "ran"\n');
      const ours = join(dirname(PRELOAD_PATH), 'assets', 'python');
      const out = await runCaptured(
        'python3',
        [
          '-c',
          'import builtins, http.client; print(builtins.TF_OWN_SITE, http.client.HTTPSConnection.connect.__name__)',
        ],
        {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? dir,
          PYTHONPATH: `${ours}${delimiter}${own}`,
          HTTPS_PROXY: 'http://bot:key@127.0.0.1:9',
        },
      );
      expect(out.stderr).toBe('');
      // Our patch is on http.client (applied when it was imported), and the user's site ran too.
      expect(out.stdout.trim()).toBe('ran https_connect');
    },
  );
});
