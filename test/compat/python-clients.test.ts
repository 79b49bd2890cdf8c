// Python clients, unmodified, under `tameflare run` against the spawned daemon: every row of the
// matrix's Python part. Each library runs in every interpreter here that has it (the pyenv Python
// and Debian's /usr/bin/python3 with python3-aiohttp, -httpx, -requests, -urllib3 from .ci/run), so
// urllib3 is tried as 2.x and as Debian's 1.26. A library no interpreter has is skipped, saying so.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { CliRun } from '../cli/cli-harness.js';
import { CLIENTS_DIR, describeSuite, type Probe, repoCheck, underRun } from './compat-probes.js';
import { REPO_DELETE_DENIED } from './compat-world.js';

const SCRIPT = join(CLIENTS_DIR, 'python_clients.py');
const INTERPRETERS = ['python3', '/usr/bin/python3'];

const found = new Map<string, string[]>();

/** The distinct interpreters (their real executables, skipping pyenv's shim) that can import `module`. */
function interpretersWith(module: string): string[] {
  let exes = found.get(module);
  if (exes) return exes;
  exes = [];
  for (const python of INTERPRETERS) {
    try {
      const exe = execFileSync(python, ['-c', `import ${module}, sys; print(sys.executable)`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      if (!exes.includes(exe)) exes.push(exe);
    } catch {
      // not installed in this one
    }
  }
  found.set(module, exes);
  return exes;
}

function python(client: string, module: string): Probe['run'] {
  return async (world, ctx) => {
    const pythons = interpretersWith(module);
    if (pythons.length === 0) ctx.skip(`no python3 here has ${module} (.ci/run installs python3-${module})`);
    let last: CliRun | undefined;
    for (const interpreter of pythons) {
      last = await underRun(world, [interpreter, SCRIPT, client]);
      if (last.code !== 0) return { ...last, stderr: `${interpreter}: ${last.stderr}` };
    }
    return last!;
  };
}

/** The library refused github.repo.delete in every interpreter that has it (the first failure is kept). */
function pythonDenied(client: string, module: string): Probe['denied'] {
  return {
    async run(world, ctx) {
      const pythons = interpretersWith(module);
      if (pythons.length === 0) ctx.skip(`no python3 here has ${module}`);
      let last: CliRun | undefined;
      for (const interpreter of pythons) {
        last = await underRun(world, [interpreter, SCRIPT, client]);
        if (last.code === 0 || !REPO_DELETE_DENIED.test(last.stderr)) {
          return { ...last, stderr: `${interpreter}: ${last.stderr}` };
        }
      }
      return last!;
    },
    shows: REPO_DELETE_DENIED,
  };
}

const probes: Record<string, Probe> = {
  'python-urllib': {
    run: python('urllib', 'urllib.request'),
    routed: repoCheck('urllib'),
    stdout: /^200 api\.github\.com$/m,
    denied: pythonDenied('urllib-denied', 'urllib.request'),
  },
  'python-requests': {
    run: python('requests', 'requests'),
    routed: repoCheck('requests'),
    denied: pythonDenied('requests-denied', 'requests'),
  },
  'python-httpx': {
    run: python('httpx', 'httpx'),
    routed: repoCheck('httpx'),
    denied: pythonDenied('httpx-denied', 'httpx'),
  },
  'python-aiohttp': {
    run: python('aiohttp', 'aiohttp'),
    routed: repoCheck('aiohttp'),
    denied: pythonDenied('aiohttp-denied', 'aiohttp'),
  },
  'python-urllib3': { run: python('urllib3', 'urllib3'), routed: repoCheck('urllib3') },
  'python-http-client': {
    run: python('http.client', 'http.client'),
    stdout: /^200 api\.github\.com 200$/m,
    routed: [repoCheck('http.client'), repoCheck('http.client-again')],
  },
  'python-http-client-plain': {
    run: python('http.client-plain', 'http.client'),
    routed: {
      connector: 'plain',
      host: 'plain.test',
      path: '/items?via=http.client-plain',
      action: 'http.get',
    },
  },
};

describeSuite('python', probes);
