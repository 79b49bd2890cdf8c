// One request with one Node client, as an agent would make it: `node node-clients.mjs CLIENT`.
// Unmodified client code: no proxy or CA settings, only the agent's dummy credential (COMPAT_DUMMY).
// Prints one line describing the answer; exits 1 with the client's own error message on failure.
const DUMMY = process.env.COMPAT_DUMMY ?? 'dummy';
const GITHUB_REPO = 'https://api.github.com/repos/octo/hello';

function get(mod, url, headers) {
  return new Promise((resolve, reject) => {
    mod
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${JSON.parse(body).upstream}`));
      })
      .on('error', reject);
  });
}

async function openaiModels(pkg) {
  const { default: OpenAI } = await import(pkg);
  const page = await new OpenAI({ apiKey: DUMMY, maxRetries: 0 }).models.list();
  return `models ${page.data.length}`;
}

async function anthropicMessage(pkg) {
  const { default: Anthropic } = await import(pkg);
  const m = await new Anthropic({ apiKey: DUMMY, maxRetries: 0 }).messages.create({
    model: 'claude-x',
    max_tokens: 8,
    messages: [{ role: 'user', content: 'hi' }],
  });
  return `message ${m.upstream}`;
}

async function mcpClient() {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import(
    '@modelcontextprotocol/sdk/client/streamableHttp.js'
  );
  const transport = new StreamableHTTPClientTransport(new URL('https://mcp.test/mcp'), {
    requestInit: { headers: { authorization: `Bearer ${DUMMY}` } },
  });
  const client = new Client({ name: 'compat', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// `*-denied`: the same client making a call the agent is refused (github.repo.delete, the MCP tool
// drop_tables), written as an agent would, letting the client raise its own error; the suite checks
// that the error it prints says why.
const denied = {
  async 'fetch-denied'() {
    const r = await fetch(GITHUB_REPO, { method: 'DELETE', headers: { authorization: `Bearer ${DUMMY}` } });
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    return `${r.status}`;
  },
  async 'octokit-denied'() {
    const { Octokit } = await import('@octokit/rest');
    await new Octokit({ auth: DUMMY }).repos.delete({ owner: 'octo', repo: 'hello' });
    return 'deleted';
  },
  async 'got-denied'() {
    const { default: got } = await import('got');
    await got.delete(GITHUB_REPO, { headers: { authorization: `Bearer ${DUMMY}` }, retry: { limit: 0 } });
    return 'deleted';
  },
  async 'axios-denied'() {
    const { default: axios } = await import('axios');
    try {
      await axios.delete(GITHUB_REPO, { headers: { authorization: `Bearer ${DUMMY}` } });
    } catch (err) {
      // axios's message is only "Request failed with status code 403": the reason is in the response.
      throw new Error(`${err.message}: ${err.response?.statusText}`);
    }
    return 'deleted';
  },
  async 'mcp-denied'() {
    const client = await mcpClient();
    try {
      await client.callTool({ name: 'drop_tables', arguments: { all: true } });
    } finally {
      await client.close();
    }
    return 'dropped';
  },
};

const clients = {
  ...denied,
  async fetch() {
    const r = await fetch(`${GITHUB_REPO}?via=fetch`, { headers: { authorization: `Bearer ${DUMMY}` } });
    return `${r.status} ${(await r.json()).upstream}`;
  },
  async 'fetch-content-length'() {
    // Content-Length set by the caller: Node 20's fetch sends it as "N, N".
    const body = JSON.stringify({ model: 'gpt-x', messages: [] });
    const r = await fetch('https://api.openai.com/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${DUMMY}`,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    return `${r.status} ${(await r.json()).upstream}`;
  },
  async 'env-file'() {
    const https = await import('node:https');
    const r = await fetch(`${GITHUB_REPO}?via=env-file-fetch`, {
      headers: { authorization: `Bearer ${DUMMY}` },
    });
    const viaHttps = await get(https, `${GITHUB_REPO}?via=env-file-https`, {
      authorization: `Bearer ${DUMMY}`,
    });
    return `${r.status} ${viaHttps}`;
  },
  async https() {
    const https = await import('node:https');
    return get(https, `${GITHUB_REPO}?via=https`, { authorization: `Bearer ${DUMMY}` });
  },
  async http() {
    const http = await import('node:http');
    return get(http, 'http://plain.test/items?via=http', { authorization: `Bearer ${DUMMY}` });
  },
  async undici() {
    const { request } = await import('undici');
    const { statusCode, body } = await request(`${GITHUB_REPO}?via=undici`, {
      headers: { authorization: `Bearer ${DUMMY}` },
    });
    return `${statusCode} ${(await body.json()).upstream}`;
  },
  async http2() {
    const http2 = await import('node:http2');
    return new Promise((resolve, reject) => {
      const session = http2.connect('https://api.github.com');
      session.on('error', reject);
      const req = session.request({
        ':path': '/repos/octo/hello?via=http2',
        authorization: `Bearer ${DUMMY}`,
      });
      req.on('error', reject);
      req.on('response', (headers) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          session.close();
          resolve(`${headers[':status']} ${JSON.parse(body).upstream}`);
        });
      });
      req.end();
    });
  },
  async ws() {
    const { default: WebSocket } = await import('ws');
    return new Promise((resolve, reject) => {
      const ws = new WebSocket('wss://api.openai.com/v1/realtime?model=gpt-realtime', {
        headers: { authorization: `Bearer ${DUMMY}` },
      });
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (m) => {
        ws.close();
        resolve(m.toString());
      });
      ws.on('error', reject);
    });
  },
  async axios() {
    const { default: axios } = await import('axios');
    const r = await axios.get(`${GITHUB_REPO}?via=axios`, { headers: { authorization: `Bearer ${DUMMY}` } });
    return `${r.status} ${r.data.upstream}`;
  },
  async got() {
    const { default: got } = await import('got');
    const r = await got(`${GITHUB_REPO}?via=got`, { headers: { authorization: `Bearer ${DUMMY}` } }).json();
    return `200 ${r.upstream}`;
  },
  'openai-v4': () => openaiModels('openai-v4'),
  openai: () => openaiModels('openai'),
  'anthropic-v039': () => anthropicMessage('anthropic-sdk-v039'),
  anthropic: () => anthropicMessage('@anthropic-ai/sdk'),
  async stripe() {
    const { default: Stripe } = await import('stripe');
    const customer = await new Stripe(DUMMY, { maxNetworkRetries: 0 }).customers.retrieve('cus_compat');
    return `customer ${customer.upstream}`;
  },
  async slack() {
    const { WebClient } = await import('@slack/web-api');
    const r = await new WebClient(DUMMY, { retryConfig: { retries: 0 } }).auth.test();
    return `ok ${r.ok}`;
  },
  async octokit() {
    const { Octokit } = await import('@octokit/rest');
    const r = await new Octokit({ auth: DUMMY }).repos.get({ owner: 'octo', repo: 'hello' });
    return `${r.status} ${r.data.upstream}`;
  },
  async mcp() {
    const client = await mcpClient();
    const result = await client.callTool({ name: 'lookup_weather', arguments: { city: 'Paris' } });
    await client.close();
    return result.content[0].text;
  },
};

const name = process.argv[2];
const client = clients[name];
if (!client) {
  console.error(`unknown client ${name}; one of: ${Object.keys(clients).join(', ')}`);
  process.exit(2);
}
try {
  console.log(await client());
} catch (err) {
  console.error(
    `${name} failed: ${err?.message ?? err}${err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ''}`,
  );
  process.exit(1);
}
