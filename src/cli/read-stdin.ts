// Secrets given to the CLI come on stdin (`--password-stdin`), never as arguments: arguments show in
// process listings and shell history.
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';

/** Reads stdin to its end (at most `maxBytes`), dropping one trailing newline as `echo` adds. */
export async function readStdinSecret(ctx: CliContext, what: string, maxBytes = 4096): Promise<string> {
  if (ctx.stdin.isTTY)
    ctx.stderr.write(`tameflare: reading the ${what} from the terminal; end with Ctrl-D\n`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > maxBytes) throw new CliError(`the ${what} on stdin is longer than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new CliError(`the ${what} on stdin is empty`);
  return text;
}
