import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerDnsQuery } from './dns-answer.js';

// A real resolver (Node's c-ares) against the answers, served on a loopback UDP port.
const server = createSocket('udp4');
const resolver = new Resolver({ timeout: 2000, tries: 1 });

beforeAll(async () => {
  server.on('message', (query, from) => {
    const answer = answerDnsQuery(query);
    if (answer) server.send(answer, from.port, from.address);
  });
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  resolver.setServers([`127.0.0.1:${(server.address() as AddressInfo).port}`]);
});

afterAll(() => {
  server.close();
});

describe('answerDnsQuery', () => {
  it('answers every A query with 127.0.0.1', async () => {
    expect(await resolver.resolve4('api.github.com')).toEqual(['127.0.0.1']);
    expect(await resolver.resolve4('a.b.c.example.invalid')).toEqual(['127.0.0.1']);
  });

  it('answers other types with no records, not with an error', async () => {
    await expect(resolver.resolve6('api.github.com')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolveMx('example.com')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('ignores responses and truncated headers; FORMERR for what it cannot read', () => {
    expect(answerDnsQuery(Buffer.alloc(5))).toBeUndefined();
    const response = Buffer.alloc(12);
    response.writeUInt16BE(0x8180, 2);
    expect(answerDnsQuery(response)).toBeUndefined();
    const noQuestion = Buffer.alloc(12);
    noQuestion.writeUInt16BE(0x1234, 0);
    const formErr = answerDnsQuery(noQuestion)!;
    expect(formErr.readUInt16BE(0)).toBe(0x1234);
    expect(formErr.readUInt16BE(2) & 0x000f).toBe(1);
    // A question whose label runs past the end, and one using a compression pointer.
    const bad = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([40, 97, 98])]);
    expect(answerDnsQuery(bad)!.readUInt16BE(2) & 0x000f).toBe(1);
    const pointer = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0xc0, 12, 0, 1, 0, 1]),
    ]);
    expect(answerDnsQuery(pointer)!.readUInt16BE(2) & 0x000f).toBe(1);
  });
});
