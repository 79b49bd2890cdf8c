import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { MAX_HELLO_BYTES, peekServerName } from './client-hello.js';

/** The first bytes a real TLS client (Node's OpenSSL) sends, captured by a plain TCP server. */
async function realHello(servername: string | undefined): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (peekServerName(data).kind !== 'need-more' || data.length > 4096) {
          socket.destroy();
          resolve(data);
        }
      });
    });
  });
  const client = connect({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    ...(servername === undefined ? {} : { servername }),
  });
  client.on('error', () => {});
  const data = await got;
  client.destroy();
  server.close();
  return data;
}

describe('peekServerName', () => {
  it('reads the server name from a real ClientHello', async () => {
    expect(peekServerName(await realHello('api.github.com'))).toEqual({
      kind: 'tls',
      serverName: 'api.github.com',
    });
  });

  it('waits for the rest when the hello arrives in pieces, byte by byte', async () => {
    const hello = await realHello('Example.ORG');
    for (let n = 0; n < hello.length; n++)
      expect(peekServerName(hello.subarray(0, n)).kind).toBe('need-more');
    expect(peekServerName(hello)).toEqual({ kind: 'tls', serverName: 'example.org' });
  });

  it('has no name for a client that sends none (an IP literal)', async () => {
    expect(peekServerName(await realHello(''))).toEqual({ kind: 'tls', serverName: null });
  });

  it('says not-tls for plain HTTP, garbage and malformed hellos, never throws', async () => {
    expect(peekServerName(Buffer.from('GET / HTTP/1.1\r\n')).kind).toBe('not-tls');
    expect(peekServerName(Buffer.from([0x16, 0x09, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])).kind).toBe('not-tls');
    const hello = await realHello('api.github.com');
    // A server_name whose length runs past the end of the hello.
    const at = hello.indexOf(Buffer.from('api.github.com'));
    const broken = Buffer.from(hello);
    broken.writeUInt16BE(0xfff0, at - 2);
    expect(peekServerName(broken).kind).toBe('not-tls');
    // A name that could not go into a CONNECT line.
    const spaced = Buffer.from(hello);
    spaced.write(' ', at + 3, 'latin1');
    expect(peekServerName(spaced).kind).toBe('not-tls');
    // Every byte of the hello in turn replaced by each of a few values: a verdict each time.
    for (let i = 5; i < hello.length; i++) {
      for (const value of [0x00, 0x7f, 0xff]) {
        const junk = Buffer.from(hello);
        junk[i] = value;
        expect(['tls', 'not-tls', 'need-more']).toContain(peekServerName(junk).kind);
      }
    }
  });

  it('stops waiting past the size bound', () => {
    const header = Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]); // a 16 KB record that never completes
    expect(peekServerName(Buffer.concat([header, Buffer.alloc(MAX_HELLO_BYTES)])).kind).toBe('not-tls');
  });
});
