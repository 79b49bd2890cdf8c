import { once } from 'node:events';
import { get } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressGuard, EgressBlockedError, parseCidrList, type Resolve } from './egress-guard.js';

const BLOCKED = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['169.254.0.1', 'link-local (cloud metadata)'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.255', 'carrier-grade NAT'],
  ['192.0.0.170', 'IETF reserved'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'reserved or broadcast'],
  ['240.0.0.1', 'reserved or broadcast'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['FE80::abcd', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456::1', 'unique-local'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:169.254.169.254', 'link-local (cloud metadata)'],
  ['::ffff:a00:1', 'private'],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
  ['::127.0.0.1', 'IPv4-compatible'],
  ['64:ff9b::10.0.0.1', 'private via NAT64'],
  ['64:ff9b::a9fe:a9fe', 'link-local (cloud metadata) via NAT64'],
  ['64:ff9b:1::1', 'local-use NAT64'],
  ['2002:a00:1::1', 'private via 6to4'],
  ['2002:7f00:1::', 'loopback via 6to4'],
  ['100::1', 'discard-only'],
  ['localhost', 'non-IP'],
  ['', 'non-IP'],
  ['10.0.0.1.example.com', 'non-IP'],
] as const;

const ALLOWED = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '11.0.0.1',
  '172.15.255.255',
  '172.32.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '169.255.0.1',
  '192.169.0.1',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '[2001:4860:4860::8888]',
  '::ffff:8.8.8.8',
  '64:ff9b::8.8.8.8',
  '2002:808:808::1',
];

describe('isBlocked', () => {
  const guard = createEgressGuard({ allowCidrs: [] });

  it.each(BLOCKED)('blocks %j (%s)', (address, range) => {
    expect(guard.isBlocked(address)).toBe(true);
    if (address.length > 0 && !address.includes('localhost') && !address.includes('example')) {
      expect(() => guard.assertDialable(address)).toThrow(
        expect.objectContaining({ code: 'EGRESS_BLOCKED', range }),
      );
    }
  });

  it.each(ALLOWED)('allows %j', (address) => {
    expect(guard.isBlocked(address)).toBe(false);
    expect(() => guard.assertDialable(address)).not.toThrow();
  });

  it('opens only the allowed ranges, in every spelling', () => {
    const open = createEgressGuard({ allowCidrs: ['127.0.0.0/8', 'fd00::/8', '169.254.169.254'] });
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '[fd00::1]', '169.254.169.254']) {
      expect(open.isBlocked(address)).toBe(false);
    }
    for (const address of ['10.0.0.1', '::1', 'fc00::1', '169.254.169.253'])
      expect(open.isBlocked(address)).toBe(true);
  });

  it('refuses a bad allow list entry', () => {
    expect(() => createEgressGuard({ allowCidrs: ['10.0.0.0/33'] })).toThrow(/invalid CIDR "10.0.0.0\/33"/);
  });

  it('lets names through assertDialable: they are checked at lookup', () => {
    expect(() => guard.assertDialable('api.github.com')).not.toThrow();
  });
});

describe('parseCidrList', () => {
  it('accepts CIDRs and single addresses separated by commas or spaces', () => {
    expect(parseCidrList(' 10.0.0.0/8, 127.0.0.1  FD00::/8,[::1]/128,')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1/32',
      'fd00::/8',
      '::1/128',
    ]);
    expect(parseCidrList('')).toEqual([]);
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0/8',
    'abc',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '::/129',
    'fe80::%eth0/64',
    '10.0.0.0/8/8',
  ])('rejects %j naming the option', (text) => {
    expect(() => parseCidrList(text)).toThrow(/invalid CIDR .* in --unsafe-allow-private-egress/);
  });
});

type Answer = Array<{ address: string; family: number }>;
function lookupWith(answers: Record<string, Answer>, allowCidrs: string[] = []) {
  const resolve: Resolve = async (host) => {
    const answer = answers[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return createEgressGuard({ allowCidrs, resolve }).lookup;
}

function callLookup(
  lookup: ReturnType<typeof lookupWith>,
  host: string,
  options: { family?: number; all?: boolean },
): Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family: number | undefined }> {
  return new Promise((resolve) => {
    lookup(host, options, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('lookup', () => {
  const answers: Record<string, Answer> = {
    'mixed.test': [
      { address: '10.0.0.1', family: 4 },
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ],
    'internal.test': [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ],
  };
  const lookup = lookupWith(answers);

  it('drops blocked addresses and answers with the first usable one', async () => {
    expect(await callLookup(lookup, 'mixed.test', {})).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect(await callLookup(lookup, 'mixed.test', { family: 6 })).toEqual({
      error: null,
      address: '2606:2800:220:1::1',
      family: 6,
    });
  });

  it('answers every usable address to `all: true` callers', async () => {
    const { error, address } = await callLookup(lookup, 'mixed.test', { all: true });
    expect(error).toBeNull();
    expect(address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('fails with EGRESS_BLOCKED, the host and the address when every address is blocked', async () => {
    for (const all of [false, true]) {
      const { error } = await callLookup(lookup, 'internal.test', { all });
      expect(error).toBeInstanceOf(EgressBlockedError);
      expect(error).toMatchObject({ code: 'EGRESS_BLOCKED', host: 'internal.test', address: '127.0.0.1' });
      expect(error?.message).toMatch(/internal\.test \(127\.0\.0\.1\) is blocked: loopback/);
    }
  });

  it('checks IP-literal hosts without resolving them', async () => {
    const { error } = await callLookup(lookup, '[::1]', {});
    expect(error).toMatchObject({ code: 'EGRESS_BLOCKED', address: '::1' });
    expect(await callLookup(lookup, '8.8.8.8', {})).toEqual({ error: null, address: '8.8.8.8', family: 4 });
  });

  it('passes resolver errors through and reports a family with no answer as not found', async () => {
    expect((await callLookup(lookup, 'nowhere.test', {})).error?.code).toBe('ENOTFOUND');
    const onlyV4 = lookupWith({ 'v4.test': [{ address: '8.8.8.8', family: 4 }] });
    expect((await callLookup(onlyV4, 'v4.test', { family: 6 })).error?.code).toBe('ENOTFOUND');
  });
});

describe('lookup used by real sockets', () => {
  let server: Server;
  let port: number;
  let accepted = 0;
  const open = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
      accepted++;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // The dial test hangs up at once; a reset here is expected.
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of open) socket.destroy();
    server.close();
    await once(server, 'close');
  });

  const answers = { 'upstream.test': [{ address: '127.0.0.1', family: 4 }] };

  function dial(
    lookup: ReturnType<typeof lookupWith>,
    host = 'upstream.test',
  ): Promise<NodeJS.ErrnoException | null> {
    return new Promise((resolve) => {
      const socket = connect({ host, port, lookup });
      socket.on('connect', () => {
        socket.destroy();
        resolve(null);
      });
      socket.on('error', (error) => resolve(error));
    });
  }

  it('refuses to connect to a name that resolves to loopback', async () => {
    const before = accepted;
    const error = await dial(lookupWith(answers));
    expect(error).toMatchObject({ code: 'EGRESS_BLOCKED', host: 'upstream.test', address: '127.0.0.1' });
    expect(accepted).toBe(before);
  });

  it('refuses `localhost` through the system resolver', async () => {
    const error = await dial(createEgressGuard({ allowCidrs: [] }).lookup, 'localhost');
    expect(error?.code).toBe('EGRESS_BLOCKED');
  });

  it('connects once 127.0.0.0/8 is allowed', async () => {
    expect(await dial(lookupWith(answers, ['127.0.0.0/8']))).toBeNull();
  });

  it('works as the lookup option of http.get', async () => {
    const request = (lookup: ReturnType<typeof lookupWith>) =>
      new Promise<number | string>((resolve) => {
        get({ host: 'upstream.test', port, lookup, agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        }).on('error', (error: NodeJS.ErrnoException) => resolve(error.code!));
      });
    expect(await request(lookupWith(answers))).toBe('EGRESS_BLOCKED');
    expect(await request(lookupWith(answers, ['127.0.0.1']))).toBe(204);
  });
});
