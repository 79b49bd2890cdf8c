// Runs a real client process (curl, python3, git, node) and collects its output.
import { spawn } from 'node:child_process';

export interface ClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runClient(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env ?? cleanEnv(),
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A client that exits before reading its input (curl refused at once) closes the pipe: EPIPE on
    // stdin is not the client's outcome, which its exit code and output already tell.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** The environment without any proxy or CA variables inherited from the machine. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/proxy|^SSL_CERT|CA_BUNDLE|CAINFO|NODE_EXTRA_CA|NODE_OPTIONS/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** curl through the gateway; prints `status` as the last line (-w). */
export async function curl(
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ status: number; body: string; headers: string; stderr: string }> {
  const r = await runClient('curl', ['-sS', '-D', '-', '-w', '\n%{http_code}', ...args], {
    env: cleanEnv(env),
  });
  const lines = r.stdout.split('\n');
  const status = Number(lines.pop());
  const text = lines.join('\n');
  // With -D -, every header block (the CONNECT 200 and the final answer) comes before the body.
  const split = text.lastIndexOf('\r\n\r\n');
  return { status, headers: text.slice(0, split), body: text.slice(split + 4), stderr: r.stderr };
}
