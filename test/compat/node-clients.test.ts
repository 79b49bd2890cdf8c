// Node clients and SDKs, unmodified, under `tameflare run` against the spawned daemon: every row of
// the matrix's Node part (compat-matrix.ts), each probe one real client in a real child process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runClient } from '../helpers/run-client.js';
import { minimalEnv } from '../helpers/spawn-daemon.js';
import { CLIENTS_DIR, describeSuite, type Probe, repoCheck, underRun } from './compat-probes.js';
import { AGENT, DUMMY, REPO_DELETE_DENIED } from './compat-world.js';

const SCRIPT = join(CLIENTS_DIR, 'node-clients.mjs');
const node =
  (client: string): Probe['run'] =>
  (world) =>
    underRun(world, ['node', SCRIPT, client]);

const refusedDelete = (client: string): Probe['denied'] => ({ run: node(client), shows: REPO_DELETE_DENIED });

const MODELS = {
  connector: 'openai',
  host: 'api.openai.com',
  path: '/v1/models',
  action: 'openai.model.list',
};
const MESSAGE = {
  connector: 'anthropic',
  host: 'api.anthropic.com',
  path: '/v1/messages',
  action: 'anthropic.message.create',
};

const probes: Record<string, Probe> = {
  'node-fetch': {
    run: node('fetch'),
    routed: repoCheck('fetch'),
    stdout: /^200 api\.github\.com/,
    denied: refusedDelete('fetch-denied'),
  },
  'node-fetch-content-length': {
    run: node('fetch-content-length'),
    routed: {
      connector: 'openai',
      host: 'api.openai.com',
      path: '/v1/chat/completions',
      action: 'openai.chat.create',
    },
  },
  'node-https': { run: node('https'), routed: repoCheck('https'), stdout: /^200 api\.github\.com/ },
  'node-http': {
    run: node('http'),
    routed: { connector: 'plain', host: 'plain.test', path: '/items?via=http', action: 'http.get' },
    stdout: /^200 plain\.test/,
  },
  'node-undici': { run: node('undici'), routed: repoCheck('undici') },
  'node-got': { run: node('got'), routed: repoCheck('got'), denied: refusedDelete('got-denied') },
  'node-axios': { run: node('axios'), routed: repoCheck('axios'), denied: refusedDelete('axios-denied') },
  'node-ws': {
    run: node('ws'),
    stdout: /^echo:hello$/m,
    routed: {
      connector: 'openai',
      host: 'api.openai.com',
      path: '/v1/realtime?model=',
      action: 'openai.realtime.connect',
    },
  },
  'node-http2': {
    run: node('http2'),
    refusal: /does not speak HTTP\/2/,
  },
  'node-openai-v4': { run: node('openai-v4'), routed: MODELS },
  'node-openai': { run: node('openai'), routed: MODELS },
  'node-anthropic-v039': {
    run: node('anthropic-v039'),
    routed: MESSAGE,
    stdout: /^message api\.anthropic\.com$/m,
  },
  'node-anthropic': { run: node('anthropic'), routed: MESSAGE, stdout: /^message api\.anthropic\.com$/m },
  'node-stripe': {
    run: node('stripe'),
    routed: {
      connector: 'stripe',
      host: 'api.stripe.com',
      path: '/v1/customers/cus_compat',
      action: 'stripe.customer.get',
    },
  },
  'node-slack': {
    run: node('slack'),
    stdout: /^ok true$/m,
    routed: { connector: 'slack', host: 'slack.com', path: '/api/auth.test', action: 'slack.auth.test' },
  },
  'node-octokit': {
    run: node('octokit'),
    routed: {
      connector: 'github',
      host: 'api.github.com',
      path: '/repos/octo/hello',
      action: 'github.repo.get',
    },
    denied: refusedDelete('octokit-denied'),
  },
  'node-mcp': {
    run: node('mcp'),
    // A JSON-RPC error, not a broken transport: the call rejects with the reason and the detail.
    denied: {
      run: node('mcp-denied'),
      shows:
        /MCP error -32003: Denied by TameFlare: mcp\.tools\.drop_tables \(permission_denied\): permission #\d+/,
    },
    stdout: /^called lookup_weather$/m,
    routed: { connector: 'mcp', host: 'mcp.test', path: '/mcp', action: 'mcp.tools.lookup_weather' },
  },
  'node-env-file': {
    // Not under `run`: the variables come from `tameflare env --format dotenv` in a file.
    async run(world) {
      const printed = await world.cli(['env', '--agent', AGENT, '--format', 'dotenv']);
      if (printed.code !== 0) return printed;
      const file = join(world.work, 'agent.env');
      writeFileSync(file, printed.stdout, { mode: 0o600 });
      const r = await runClient(process.execPath, [`--env-file=${file}`, SCRIPT, 'env-file'], {
        env: minimalEnv({ COMPAT_DUMMY: DUMMY }),
      });
      return { ...r, signal: null };
    },
    stdout: /^200 200 api\.github\.com$/m,
    routed: [repoCheck('env-file-fetch'), repoCheck('env-file-https')],
  },
};

describeSuite('node', probes);
