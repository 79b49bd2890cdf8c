// A local smart-HTTP git server over HTTPS: `git http-backend` run as CGI per request, serving a bare
// repository created for the test. Lets a test run a real `git clone` through the gateway.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startHttpsServer, type TestCa } from './test-ca.js';

export interface GitServer extends RunningServer<import('node:https').Server> {
  root: string;
  /** Authorization headers the server received (to check injection). */
  authorizations: (string | undefined)[];
}

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

/** Creates `<root>/<owner>/<repo>.git` with one commit holding README.md, served at https://<hosts[0]>/. */
export async function startGitServer(opts: {
  ca: TestCa;
  hosts: string[];
  owner: string;
  repo: string;
  content: string;
}): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'tameflare-git-'));
  const work = join(root, 'work');
  mkdirSync(work);
  const env = { ...process.env, ...GIT_ENV, HOME: root };
  execFileSync('git', ['init', '-q', '-b', 'main', work], { env });
  writeFileSync(join(work, 'README.md'), opts.content);
  execFileSync('git', ['-C', work, 'add', 'README.md'], { env });
  execFileSync('git', ['-C', work, 'commit', '-q', '-m', 'first'], { env });
  mkdirSync(join(root, opts.owner));
  execFileSync('git', ['clone', '-q', '--bare', work, join(root, opts.owner, `${opts.repo}.git`)], { env });

  const authorizations: (string | undefined)[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'https://git.invalid');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
          : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => res.end());
    child.on('error', () => res.destroy());
  };
  const server = await startHttpsServer(handler, { hosts: opts.hosts, ca: opts.ca });
  return { ...server, root, authorizations };
}
