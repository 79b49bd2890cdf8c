// The compatibility matrix: which client, in which runtime, goes through the gateway under
// `tameflare run`, and what makes it do so. One table for two readers: the compatibility tests
// (test/compat/*-clients.test.ts run a probe for every row they cover and assert the row's result)
// and docs/agents.md (its matrix is rendered from this table; agents-doc.test.ts checks it).

/**
 * - routed: through the gateway, mapped to the action, the real credential injected and the agent's
 *   dummy never forwarded (checked at the upstream and in the traffic log);
 * - refused: fails with a clear error and never goes around the gateway;
 * - not-routed: goes direct (documented limitation, no probe);
 * - untested: the runtime is not on the CI machine; the setup is documented, not checked.
 */
export type CompatResult = 'routed' | 'refused' | 'not-routed' | 'untested';

export interface MatrixRow {
  id: string;
  /** Which test file probes it ('none' for rows without a probe here). */
  suite: 'node' | 'python' | 'other' | 'none';
  runtime: string;
  client: string;
  result: CompatResult;
  /** What `run` / `env` does for it, or why it does not work: one sentence for the doc. */
  how: string;
  /** Where a denial's reason shows in this client's own error (a probe checks it). */
  denial?: string;
}

const PRELOAD = 'the Node preload (`NODE_OPTIONS=--require …/preload.cjs`)';

export const MATRIX: readonly MatrixRow[] = [
  // Node.js 20
  {
    id: 'node-fetch',
    suite: 'node',
    runtime: 'Node.js 20',
    client: 'global `fetch`',
    result: 'routed',
    how: `${PRELOAD} sets undici's global dispatcher`,
    denial:
      '`response.statusText` is the reason: `Denied by TameFlare: github.repo.delete (permission_denied)`',
  },
  {
    id: 'node-fetch-content-length',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`fetch` with a caller-set Content-Length',
    result: 'routed',
    how: 'the preload turns the `"N, N"` Node 20 sends into `N` before undici 7 sees it',
  },
  {
    id: 'node-https',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`node:https` (global agent)',
    result: 'routed',
    how: "the preload patches `https.Agent.prototype`: a CONNECT tunnel, then Node's own TLS",
  },
  {
    id: 'node-http',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`node:http` (plain HTTP)',
    result: 'routed',
    how: 'the preload patches `http.Agent.prototype`: absolute-form requests to the proxy',
  },
  {
    id: 'node-undici',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`undici` 7 `request()`',
    result: 'routed',
    how: 'the global dispatcher, as `fetch`',
  },
  {
    id: 'node-got',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`got` 14',
    result: 'routed',
    how: "Node's agents, patched by the preload",
    denial: 'the `HTTPError` message: `Response code 403 (Denied by TameFlare: …)`',
  },
  {
    id: 'node-axios',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`axios` 1',
    result: 'routed',
    how: 'axios reads `HTTPS_PROXY` itself and sends absolute-form requests to the gateway',
    denial:
      'not in `err.message` (axios says only "status code 403"): in `err.response.statusText` and `err.response.data.detail`',
  },
  {
    id: 'node-ws',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`ws` 8 (`wss://`)',
    result: 'routed',
    how: 'ws passes its own `createConnection`: the preload tunnels it (and `tls.connect`)',
  },
  {
    id: 'node-http2',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`node:http2`',
    result: 'refused',
    how: 'tunnelled through `tls.connect`, but the gateway speaks HTTP/1.1 only: the client gets "does not speak HTTP/2"',
  },
  {
    id: 'node-openai-v4',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`openai` 4',
    result: 'routed',
    how: 'its own keep-alive agent (agentkeepalive) is covered by the patched `https.Agent`',
  },
  {
    id: 'node-openai',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`openai` 6',
    result: 'routed',
    how: 'global `fetch`',
  },
  {
    id: 'node-anthropic-v039',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`@anthropic-ai/sdk` 0.39',
    result: 'routed',
    how: 'its own keep-alive agent (agentkeepalive), as openai 4',
  },
  {
    id: 'node-anthropic',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`@anthropic-ai/sdk` 1',
    result: 'routed',
    how: 'global `fetch`',
  },
  {
    id: 'node-stripe',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`stripe` 23',
    result: 'routed',
    how: 'its own `new https.Agent({ keepAlive: true })`, patched at the prototype',
  },
  {
    id: 'node-slack',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`@slack/web-api` 8',
    result: 'routed',
    how: 'global `fetch`',
  },
  {
    id: 'node-octokit',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`@octokit/rest` 22',
    result: 'routed',
    how: 'global `fetch`',
    denial:
      'the `RequestError` message is the problem document, its `detail` included (the body is read as text thanks to the charset)',
  },
  {
    id: 'node-mcp',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`@modelcontextprotocol/sdk` (Streamable HTTP)',
    result: 'routed',
    how: 'global `fetch`; each JSON-RPC message is its own action (`mcp.tools.NAME`)',
    denial:
      '`callTool` rejects with an `McpError`: `MCP error -32003: Denied by TameFlare: mcp.tools.NAME (…): detail`, the problem document in `data`',
  },
  {
    id: 'node-env-file',
    suite: 'node',
    runtime: 'Node.js 20',
    client: '`node --env-file` with `tameflare env --format dotenv`',
    result: 'routed',
    how: "Node ignores `NODE_EXTRA_CA_CERTS` from an env file; the preload (in the file's `NODE_OPTIONS`) adds the CA itself",
  },
  // Python 3
  {
    id: 'python-urllib',
    suite: 'python',
    runtime: 'Python 3',
    client: '`urllib.request`',
    result: 'routed',
    how: 'reads `https_proxy` and `SSL_CERT_FILE` itself',
    denial: '`HTTPError: HTTP Error 403: Denied by TameFlare: …`',
  },
  {
    id: 'python-requests',
    suite: 'python',
    runtime: 'Python 3',
    client: '`requests`',
    result: 'routed',
    how: 'reads `https_proxy` and `REQUESTS_CA_BUNDLE` itself',
    denial: '`raise_for_status()`: `403 Client Error: Denied by TameFlare: … for url: …`',
  },
  {
    id: 'python-httpx',
    suite: 'python',
    runtime: 'Python 3',
    client: '`httpx`',
    result: 'routed',
    how: 'reads `https_proxy` and `SSL_CERT_FILE` itself (`trust_env` is on by default)',
    denial: "`raise_for_status()`: `Client error '403 Denied by TameFlare: …'`",
  },
  {
    id: 'python-aiohttp',
    suite: 'python',
    runtime: 'Python 3',
    client: '`aiohttp`',
    result: 'routed',
    how: "TameFlare's `sitecustomize` (on `PYTHONPATH`) makes `trust_env=True` the default",
    denial: "`ClientResponseError: 403, message='Denied by TameFlare: …'`",
  },
  {
    id: 'python-urllib3',
    suite: 'python',
    runtime: 'Python 3',
    client: '`urllib3.PoolManager` (1.26 and 2.x)',
    result: 'routed',
    how: "the `sitecustomize` hands proxied URLs to a `ProxyManager` (trusting `SSL_CERT_FILE` on Debian's 1.26 too)",
  },
  {
    id: 'python-http-client',
    suite: 'python',
    runtime: 'Python 3',
    client: '`http.client.HTTPSConnection`',
    result: 'routed',
    how: 'the `sitecustomize` tunnels it with `set_tunnel` (CONNECT with the credential)',
  },
  {
    id: 'python-http-client-plain',
    suite: 'python',
    runtime: 'Python 3',
    client: '`http.client.HTTPConnection` (plain HTTP)',
    result: 'routed',
    how: 'the `sitecustomize` sends it to the proxy in absolute form with the credential',
  },
  // Other runtimes and tools
  {
    id: 'curl',
    suite: 'other',
    runtime: 'curl',
    client: 'curl',
    result: 'routed',
    how: 'reads `https_proxy` and `CURL_CA_BUNDLE`',
    denial:
      'the problem+json body (with `--fail-with-body`, or without `-f`); `-f` alone prints only "error: 403"',
  },
  {
    id: 'git',
    suite: 'other',
    runtime: 'git',
    client: 'git over HTTPS',
    result: 'routed',
    how: 'reads `https_proxy` and `GIT_SSL_CAINFO`',
    denial:
      '`remote: Denied by TameFlare: …` (a text/plain body on `info/refs`); a push refused on its POST is `! [remote rejected] main -> main (Denied by TameFlare: …)`',
  },
  {
    id: 'wget',
    suite: 'other',
    runtime: 'wget',
    client: 'GNU wget (GnuTLS)',
    result: 'routed',
    how: 'ignores `SSL_CERT_FILE`: `WGETRC` names a wgetrc with `ca_certificate` (your own wgetrc is included); the credential comes from `https_proxy`',
    denial: '`ERROR 403: Denied by TameFlare: …`',
  },
  {
    id: 'ruby-net-http',
    suite: 'other',
    runtime: 'Ruby',
    client: '`Net::HTTP`',
    result: 'routed',
    how: 'reads `https_proxy` (with its credential) and `SSL_CERT_FILE`',
    denial: '`response.value` raises `Net::HTTPClientException: 403 "Denied by TameFlare: …"`',
  },
  {
    id: 'php-curl',
    suite: 'other',
    runtime: 'PHP',
    client: 'curl extension',
    result: 'routed',
    how: "`PHP_INI_SCAN_DIR` adds an ini with `curl.cainfo` and `openssl.cafile` (PHP's own ini directory still loads); libcurl reads `https_proxy`",
  },
  {
    id: 'php-streams',
    suite: 'none',
    runtime: 'PHP',
    client: '`file_get_contents` / stream wrappers',
    result: 'not-routed',
    how: 'PHP streams read no proxy variable: pass a stream context with `proxy` and `request_fulluri`, or use the curl extension',
  },
  {
    id: 'java-urlconnection',
    suite: 'other',
    runtime: 'Java 17',
    client: '`HttpURLConnection`',
    result: 'routed',
    how: "`JAVA_TOOL_OPTIONS` sets the proxy properties and a trust store (the JDK's roots plus our CA); under `run` the proxy is a loopback relay that adds the credential",
  },
  {
    id: 'java-httpclient',
    suite: 'other',
    runtime: 'Java 17',
    client: '`java.net.http.HttpClient`',
    result: 'routed',
    how: 'as `HttpURLConnection` (the default `ProxySelector` reads the same properties)',
  },
  {
    id: 'go',
    suite: 'none',
    runtime: 'Go',
    client: '`net/http`',
    result: 'untested',
    how: 'reads `HTTPS_PROXY` and `SSL_CERT_FILE`: nothing more needed',
  },
  {
    id: 'dotnet',
    suite: 'none',
    runtime: '.NET',
    client: '`HttpClient`',
    result: 'untested',
    how: 'reads `HTTPS_PROXY` and, on Linux, `SSL_CERT_FILE`: nothing more needed',
  },
  {
    id: 'rust',
    suite: 'none',
    runtime: 'Rust',
    client: '`reqwest` with `rustls-native-certs` or native-tls',
    result: 'untested',
    how: 'reads `HTTPS_PROXY` and `SSL_CERT_FILE`; with the bundled `webpki-roots` it cannot trust the CA (build with native roots)',
  },
  {
    id: 'deno',
    suite: 'none',
    runtime: 'Deno',
    client: '`fetch`',
    result: 'untested',
    how: 'reads `HTTPS_PROXY`; `DENO_CERT` names the CA',
  },
];

const RESULT_TEXT: Record<CompatResult, string> = {
  routed: 'routed',
  refused: 'refused, clear error',
  'not-routed': '**not routed**',
  untested: 'not tested here',
};

/** The matrix as the Markdown table of docs/agents.md. */
export function renderMatrix(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| runtime | client | result | how |', '|---|---|---|---|'];
  for (const row of MATRIX) {
    lines.push(`| ${row.runtime} | ${row.client} | ${RESULT_TEXT[row.result]} | ${cell(row.how)} |`);
  }
  lines.push('', '### What a denial looks like in each client', '');
  lines.push('| runtime | client | the reason shows as |', '|---|---|---|');
  for (const row of MATRIX) {
    if (row.denial) lines.push(`| ${row.runtime} | ${row.client} | ${cell(row.denial)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The rows a suite must probe: every one of them, no more. */
export function rowsOf(suite: MatrixRow['suite']): MatrixRow[] {
  return MATRIX.filter((row) => row.suite === suite);
}
