// Issue 15 item 1: a traffic row carries the action's parameters (JSON, secrets redacted, bounded),
// and its action event carries the same; nothing planted in a parameter reaches gateway.db.
import { readFileSync } from 'node:fs';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGatewayHarness } from '../helpers/gateway-harness.js';

let h: GatewayHarness;
let ca: string;
beforeAll(async () => {
  h = await startGatewayHarness();
  ca = readFileSync(h.caFile, 'utf8');
});
afterAll(async () => {
  await h?.close();
});

async function send(url: string, init: { method?: string; body?: string } = {}): Promise<string> {
  const dispatcher = new ProxyAgent({ uri: h.proxyUrl('bot'), requestTls: { ca } });
  try {
    const res = await fetch(url, {
      ...init,
      headers: init.body ? { 'content-type': 'application/json' } : {},
      dispatcher,
    });
    await res.arrayBuffer();
    return res.headers.get('x-tameflare-request-id')!;
  } finally {
    await dispatcher.close();
  }
}

async function completedRow(requestId: string) {
  const [row] = await h.waitForRows(
    (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
    `request_id = '${requestId}'`,
  );
  return row!;
}

describe('parameters in the traffic log', () => {
  it('a row carries the parameters the connector extracted; its event refers to the row', async () => {
    const requestId = await send('https://api.github.com/repos/octo/hello/pulls/7/merge', {
      method: 'PUT',
      body: JSON.stringify({ merge_method: 'squash' }),
    });
    const row = await completedRow(requestId);
    expect(row.action).toBe('github.pr.merge');
    expect(JSON.parse(row.params!)).toMatchObject({ owner: 'octo', repo: 'hello', number: 7 });
    // The action event names the row (compact action events): the parameters are not copied.
    const event = (await h.gateway.outbox.pending(10_000)).find(
      (e) => (JSON.parse(e.payload) as { traffic_id: number }).traffic_id === row.id,
    );
    expect(JSON.parse(event!.payload)).toEqual({
      agent: row.agent,
      action: 'github.pr.merge',
      decision: row.decision,
      code: expect.any(String),
      traffic_id: row.id,
    });
  });

  it('an action without parameters has none', async () => {
    const row = await completedRow(await send('http://plain.test/nothing'));
    expect(row.params).toBeNull();
  });

  it('secrets in parameters are redacted in the row, the event and the file', async () => {
    const token = `ghp_PLANTEDPARAM${'x'.repeat(24)}`;
    const password = 'PLANTED-hunter2';
    const query = `mutation { createIssue(input: {repositoryId: "R_1", title: "deploy", body: "use ${token} please", password: "${password}"}) { clientMutationId } }`;
    const requestId = await send('https://api.github.com/graphql', {
      method: 'POST',
      body: JSON.stringify({ query }),
    });
    const row = await completedRow(requestId);
    const params = JSON.parse(row.params!) as Record<string, unknown>;
    expect(params).toMatchObject({
      repository_id: 'R_1',
      title: 'deploy',
      body: 'use [redacted] please',
      password: '[redacted]',
    });
    await h.gateway.close(); // everything written and checkpointed into the file
    h.db.raw.pragma('wal_checkpoint(TRUNCATE)');
    const everything = [
      JSON.stringify(h.db.raw.prepare('SELECT * FROM traffic_log').all()),
      JSON.stringify(h.db.raw.prepare('SELECT * FROM outbox').all()),
      readFileSync(`${h.dir}/gateway.db`).toString('latin1'),
    ].join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(password);
  });
});
