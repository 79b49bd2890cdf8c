// `tameflare logs --follow | head -1`: once the reader of stdout is gone, writing on is pointless and
// Node reports it as an EPIPE error event that, unhandled, kills the process with a stack trace.
// Like `cat` or `git log`, the CLI then stops quietly with status 0.
import { ExitNow } from '../errors/exit-now.js';

const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * Rejects with ExitNow(0) when the stream's reader goes away (main.ts then ends the process, which a
 * follow loop would otherwise keep alive), or with the stream's error for any other failure. Errors
 * after the command finished are ignored: the exit status is already decided.
 */
export function outputClosed(stream: NodeJS.WritableStream): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      reject(READER_GONE.has(err.code ?? '') ? new ExitNow('the reader of stdout went away', 0) : err);
    });
  });
}
