// Bounded body reads for connectors whose action depends on the body (GraphQL, JSON-RPC, forms).
// Everything else streams. A body that a connector needs but that exceeds the bound is refused (413):
// deciding on a truncated body would let an agent hide a mutation past the limit.
import type { IncomingMessage } from 'node:http';

export type BodyReadResult =
  | { ok: true; body: Buffer; truncated: boolean }
  | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads at most `limit` bytes. With `prefixSuffices` (git push: the ref commands come first) a longer
 * body is not refused: the bytes read so far come back with `truncated: true` and the request stays
 * paused, so the caller re-sends them and then pipes the rest.
 */
export function readBoundedBody(
  req: IncomingMessage,
  limit: number,
  opts: { prefixSuffices?: boolean } = {},
): Promise<BodyReadResult> {
  const declared = Number(req.headers['content-length']);
  if (!opts.prefixSuffices && Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ ok: false, reason: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onAbort);
      req.removeListener('aborted', onAbort);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= limit) return;
      cleanup();
      req.pause();
      resolve(
        opts.prefixSuffices
          ? { ok: true, body: Buffer.concat(chunks, size), truncated: true }
          : { ok: false, reason: 'too_large' },
      );
    };
    const onEnd = () => {
      cleanup();
      resolve({
        ok: true,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
        truncated: false,
      });
    };
    const onAbort = () => {
      cleanup();
      resolve({ ok: false, reason: 'aborted' });
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('aborted', onAbort);
  });
}
