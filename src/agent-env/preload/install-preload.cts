// Installs the preload's patches (see preload.cts): reads the proxy variables once, checks everything
// that can fail, then patches.
import type { Route } from './preload-types.js';

import nodeModule = require('node:module');
import fetchDispatcher = require('./fetch-dispatcher.cjs');
import patchAgents = require('./patch-agents.cjs');
import patchTls = require('./patch-tls.cjs');
import routes = require('./proxy-route.cjs');

const INSTALLED = Symbol.for('tameflare.preload');

/** NODE_USE_ENV_PROXY covers fetch and the global agents from 22.21 and 24.5.  */
function hasNativeEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

function install(): void {
  const env = process.env;
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[INSTALLED]) return; // loaded twice, e.g. a nested run that named another copy
  const nativeProxy = env['NODE_USE_ENV_PROXY'] === '1' && hasNativeEnvProxy(process.versions.node);
  // Same precedence as undici and curl: lower case first. Read once, so that every client in the
  // process agrees on the route even if the agent edits its environment later.
  const httpProxy = env['http_proxy'] || env['HTTP_PROXY'] || '';
  const httpsProxy = env['https_proxy'] || env['HTTPS_PROXY'] || httpProxy;
  const noProxy = env['no_proxy'] ?? env['NO_PROXY'] ?? '';
  const extraCa = env['NODE_EXTRA_CA_CERTS'];
  // Node reads NODE_EXTRA_CA_CERTS at start-up, before --env-file is applied (`tameflare env
  // --format dotenv` with `node --env-file`): then the CA must be added here.
  const caFromEnvFile = Boolean(extraCa) && process.execArgv.some((a) => a.startsWith('--env-file'));
  if (!httpProxy && !httpsProxy && !caFromEnvFile) return;

  // Everything that can fail runs before anything is changed.
  const bypass = routes.parseNoProxy(noProxy);
  const route = (url: string): Route | undefined =>
    url ? { proxy: routes.parseProxy(url), bypass } : undefined;
  const config = { http: route(httpProxy), https: route(httpsProxy), nativeProxy };
  const installDispatcher =
    nativeProxy || (!httpProxy && !httpsProxy)
      ? () => {}
      : fetchDispatcher.prepareFetchDispatcher({ httpProxy, httpsProxy, noProxy });

  if (caFromEnvFile) patchTls.trustExtraCa(extraCa!);
  installDispatcher();
  patchAgents.patchAgents(config);
  patchAgents.patchRequests(config);
  if (config.https) patchTls.patchTlsConnect(config.https);
  // ESM `import { request } from 'node:https'` reads copies of the exports: refresh them.
  nodeModule.syncBuiltinESMExports();
  globals[INSTALLED] = true;
}

export = { install };
