// A refusal git can show. git prints the body of an error answer only for `info/refs` and only when
// it is text/plain (each line as "remote: ..."); for the RPC POSTs (`git-upload-pack`,
// `git-receive-pack`) it prints "RPC failed; HTTP 403" and nothing of the body, whatever its type
// (checked with git 2.39). A push refused on its POST (a policy on the branch) is therefore answered
// in git's own protocol: HTTP 200, the reason on side-band 2 (printed as "remote: ...") and a
// report-status that rejects every ref ("! [remote rejected] main -> main (reason)"). That needs the
// push's commands and capabilities from the body, which the gateway read to map it; without them the
// answer stays the text/plain 403.
import { readPushCommands } from '../../connectors/github-git.js';
import type { ProblemDocument } from '../../wire/problem.js';
import type { DenialAnswer } from './problem.js';

export interface GitRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: Buffer | undefined;
}

const TEXT = 'text/plain; charset=utf-8';

function isGitSmartHttp(req: GitRequest): boolean {
  if (req.path.endsWith('/info/refs')) return (req.query.get('service') ?? '').startsWith('git-');
  return req.method === 'POST' && /\/git-(upload|receive)-pack$/.test(req.path);
}

export function gitDenialAnswer(
  req: GitRequest,
  problem: ProblemDocument,
  reason: string,
): DenialAnswer | undefined {
  if (!isGitSmartHttp(req)) return undefined;
  const lines = [reason, problem.message, `request id ${problem.request_id ?? '-'}`];
  if (req.method === 'POST' && req.path.endsWith('/git-receive-pack') && req.body) {
    const report = rejectedPush(req.body, lines, reason);
    if (report) return { status: 200, contentType: 'application/x-git-receive-pack-result', body: report };
  }
  return { status: problem.status, contentType: TEXT, body: `${lines.join('\n')}\n` };
}

function pkt(payload: Buffer | string): Buffer {
  const data = Buffer.from(payload);
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);
}

const FLUSH = Buffer.from('0000');

/** The capabilities the client asked for, after the NUL of its first command. */
function pushCapabilities(body: Buffer): string[] | undefined {
  if (body.length < 4) return undefined;
  const len = Number.parseInt(body.toString('latin1', 0, 4), 16);
  if (!(len > 4) || len > body.length) return undefined;
  const first = body.toString('utf8', 4, len);
  const nul = first.indexOf('\0');
  return nul < 0
    ? []
    : first
        .slice(nul + 1)
        .trim()
        .split(/\s+/);
}

function rejectedPush(body: Buffer, lines: string[], reason: string): Buffer | undefined {
  const commands = readPushCommands(body);
  const caps = pushCapabilities(body);
  if (!commands || !caps || commands.refs.length === 0) return undefined;
  if (!caps.includes('report-status') && !caps.includes('report-status-v2')) return undefined;
  const why = reason.replace(/[\r\n]/g, ' ');
  const report = Buffer.concat([
    pkt('unpack ok\n'),
    ...commands.refs.map((ref) => pkt(`ng ${ref} ${why}\n`)),
    FLUSH,
  ]);
  const band = caps.includes('side-band-64k') ? 65515 : caps.includes('side-band') ? 995 : 0;
  if (band === 0) return report;
  const message = Buffer.from(`${lines.join('\n')}\n`);
  const out: Buffer[] = [];
  for (let i = 0; i < message.length; i += band) {
    out.push(pkt(Buffer.concat([Buffer.from([2]), message.subarray(i, i + band)])));
  }
  for (let i = 0; i < report.length; i += band) {
    out.push(pkt(Buffer.concat([Buffer.from([1]), report.subarray(i, i + band)])));
  }
  out.push(FLUSH);
  return Buffer.concat(out);
}
