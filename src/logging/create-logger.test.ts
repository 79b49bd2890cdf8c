import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { createLogger } from './create-logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts credential-bearing headers and fields at any usual depth', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination }).child({ component: 'test' });
    log.info({ headers: { authorization: 'Bearer PLANTED-1', 'x-api-key': 'PLANTED-2' } }, 'a');
    log.info({ req: { headers: { 'proxy-authorization': 'Basic PLANTED-3', cookie: 'PLANTED-4' } } }, 'b');
    log.info({ connector: { token: 'PLANTED-5' }, password: 'PLANTED-6' }, 'c');
    log.info({ wrapped: new Secret('PLANTED-7') }, 'd');
    const out = lines.join('');
    for (let i = 1; i <= 7; i++) expect(out).not.toContain(`PLANTED-${i}`);
    expect(out).toContain('[redacted]');
    expect(out).toContain('"component":"test"');
  });
});
