import { describe, expect, it } from 'vitest';
import { peekRequestHead, routeRequest, splitHostPort } from './http-head.js';

function route(text: string, port = 80) {
  const data = Buffer.from(text, 'latin1');
  const peek = peekRequestHead(data);
  if (peek.kind !== 'head') throw new Error(`not a head: ${JSON.stringify(peek)}`);
  return routeRequest(data, peek.head, port);
}

describe('peekRequestHead', () => {
  it('waits for the blank line, refuses what is not HTTP early', () => {
    expect(peekRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a')).kind).toBe('need-more');
    expect(peekRequestHead(Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc')).kind).toBe('invalid');
    expect(peekRequestHead(Buffer.from('GET /\r\n\r\n')).kind).toBe('invalid');
    expect(peekRequestHead(Buffer.from('GET / HTTP/1.1\r\nno colon\r\n\r\n')).kind).toBe('invalid');
    expect(peekRequestHead(Buffer.from(`GET / HTTP/1.1\r\nX: ${'a'.repeat(70_000)}`)).kind).toBe('invalid');
  });
});

describe('routeRequest', () => {
  it('CONNECT goes as it is, with whatever followed the head', () => {
    expect(route('CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n\r\n\x16\x03')).toEqual({
      kind: 'connect',
      host: 'api.github.com',
      port: 443,
      rest: Buffer.from('\x16\x03', 'latin1'),
    });
    expect(route('CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n')).toMatchObject({
      host: '2001:db8::1',
      port: 8443,
    });
  });

  it('an absolute URL becomes origin form with Connection: close, proxy headers dropped', () => {
    const r = route(
      'POST http://example.com:8080/a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nProxy-Connection: keep-alive\r\n' +
        'Proxy-Authorization: Basic eDp5\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi',
    );
    expect(r).toMatchObject({ kind: 'request', host: 'example.com', port: 8080 });
    const text = (r as { bytes: Buffer }).bytes.toString('latin1');
    expect(text).toBe(
      'POST /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
    );
  });

  it('an ordinary request goes to its Host, on the port the client dialled', () => {
    const r = route('GET /x HTTP/1.1\r\nhost: Example.com\r\nAccept: */*\r\n\r\n');
    expect(r).toMatchObject({ kind: 'request', host: 'example.com', port: 80 });
    expect((r as { bytes: Buffer }).bytes.toString('latin1')).toBe(
      'GET /x HTTP/1.1\r\nhost: Example.com\r\nAccept: */*\r\n\r\n',
    );
  });

  it('refuses what cannot be routed or put in a CONNECT line', () => {
    expect(route('GET / HTTP/1.1\r\n\r\n').kind).toBe('invalid');
    expect(route('GET / HTTP/1.1\r\nHost: a b\r\n\r\n').kind).toBe('invalid');
    expect(route('CONNECT a.com HTTP/1.1\r\n\r\n').kind).toBe('invalid');
    expect(route('CONNECT a.com:99999 HTTP/1.1\r\n\r\n').kind).toBe('invalid');
    expect(route('GET https://a.com/ HTTP/1.1\r\n\r\n').kind).toBe('invalid');
    expect(route('GET http://a%0d%0ab.com/ HTTP/1.1\r\n\r\n').kind).toBe('invalid');
  });

  it('splitHostPort', () => {
    expect(splitHostPort('a.com', 80)).toEqual({ host: 'a.com', port: 80 });
    expect(splitHostPort('a.com.', 80)).toEqual({ host: 'a.com', port: 80 });
    expect(splitHostPort('[::1]:8', undefined)).toEqual({ host: '::1', port: 8 });
    expect(splitHostPort('a.com', undefined)).toBeUndefined();
    expect(splitHostPort('a.com:0', 80)).toBeUndefined();
    expect(splitHostPort('a\r\nb', 80)).toBeUndefined();
  });
});
