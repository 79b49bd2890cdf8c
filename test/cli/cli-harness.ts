// Runs the built `bin/tameflare` as an operator would, capturing everything it prints.
import { connect } from 'node:net';
import { type CliRun, type CliRunOptions, runTameflare } from '../helpers/cli-process.js';
import type { DaemonProcess } from '../helpers/spawn-daemon.js';

export { type CliRun, type CliRunOptions, runTameflare } from '../helpers/cli-process.js';

/** A runner bound to one daemon: its URL and data dir (hence its cli.token) come from the environment. */
export function cliFor(daemon: DaemonProcess) {
  return (args: string[], opts: CliRunOptions = {}) =>
    runTameflare(args, {
      ...opts,
      env: { TAMEFLARE_URL: daemon.controlUrl, TAMEFLARE_DATA_DIR: daemon.dataDir, ...opts.env },
    });
}

/** Parses stdout as JSON, failing with the whole output when it is not. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/**
 * The status a gateway answers for one plain-HTTP request made through `proxyUrl` (credentials from
 * its userinfo), over a raw socket so no client library's proxy handling gets in the way.
 */
export function proxyStatus(proxyUrl: string, target: string): Promise<number> {
  const proxy = new URL(proxyUrl);
  const auth = Buffer.from(
    `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`,
  ).toString('base64');
  const host = new URL(target).host;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port) });
    let head = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer from ${proxy.host}`)));
    socket.on('connect', () => {
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nProxy-Authorization: Basic ${auth}\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () =>
      reject(new Error(`connection closed without a status: ${JSON.stringify(head)}`)),
    );
  });
}

/** Polls until `check` holds (for state that travels asynchronously, e.g. control plane → gateway). */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  deadlineMs = 10_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (check(last)) return last;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(last)} after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
