import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DUMMY,
  type GatewayHarness,
  GITHUB_SECRET,
  startGatewayHarness,
} from '../helpers/gateway-harness.js';
import { curl } from '../helpers/run-client.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('smoke', () => {
  it('serves /health', async () => {
    const r = await curl([`http://127.0.0.1:${h.port}/health`]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: 'ok', agents: 5, connectors: 6 });
  });

  it('intercepts HTTPS with curl and injects the credential', async () => {
    const r = await curl([
      '-x',
      h.proxyUrl('bot'),
      '--cacert',
      h.caFile,
      '-H',
      `Authorization: Bearer ${DUMMY}`,
      'https://api.github.com/repos/octo/hello',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body);
    expect(seen.headers.authorization).toBe(`Bearer ${GITHUB_SECRET}`);
    expect(r.headers.toLowerCase()).toContain('x-tameflare-request-id');
  });
});
