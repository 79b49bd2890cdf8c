// How CLI commands talk to the running daemon: --url / TAMEFLARE_URL, a token from --token,
// TAMEFLARE_TOKEN or the data dir's cli.token. "Not running" is said plainly, in one line.
import { readFileSync } from 'node:fs';
import { dataDirPaths, resolveDataDir } from '../daemon/data-dir-paths.js';
import type { ProblemDocument } from '../wire/problem.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';

export interface ApiTarget {
  url: string;
  token: string | undefined;
}

export interface ApiFlags {
  url?: string | undefined;
  token?: string | undefined;
  dataDir?: string | undefined;
}

export function resolveApiTarget(ctx: CliContext, flags: ApiFlags): ApiTarget {
  const url = (flags.url ?? ctx.env.TAMEFLARE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  let token = flags.token ?? ctx.env.TAMEFLARE_TOKEN;
  if (!token) {
    const file = dataDirPaths(resolveDataDir(flags.dataDir, ctx.env)).cliToken;
    try {
      token = readFileSync(file, 'utf8').trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  return { url, token };
}

export class ApiClient {
  constructor(private readonly target: ApiTarget) {}

  get url(): string {
    return this.target.url;
  }

  /** A JSON answer (undefined when the body is empty or not JSON). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return parseJson(await this.requestText(method, path, body)) as T;
  }

  /** The answer's text as sent (e.g. YAML); errors as for `request`. */
  async requestText(method: string, path: string, body?: unknown): Promise<string> {
    const res = await this.send(method, path, body, AbortSignal.timeout(30_000));
    return res.text();
  }

  /**
   * The answer's body as it arrives (a long export): only reaching the daemon and its first answer
   * are bounded in time, not how long the body takes.
   */
  async requestStream(method: string, path: string): Promise<ReadableStream<Uint8Array>> {
    const connect = new AbortController();
    const timer = setTimeout(() => connect.abort(new Error('no answer within 30 s')), 30_000);
    try {
      const res = await this.send(method, path, undefined, connect.signal);
      if (!res.body) throw new CliError(`empty answer from ${path}`);
      return res.body;
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.target.url}${path}`, {
        method,
        headers: {
          ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the TameFlare control plane at ${this.target.url} (${causeOf(err)}); is \`tameflare serve\` running?`,
      );
    }
    if (res.ok) return res;
    const problem = parseJson(await res.text()) as Partial<ProblemDocument> | undefined;
    if (res.status === 401 && !this.target.token) {
      throw new CliError(
        'no API token: pass --token, set TAMEFLARE_TOKEN, or run on the host with the data dir',
      );
    }
    // A problem's `detail` is written for whoever called; its code names the kind of failure.
    throw new CliError(
      typeof problem?.detail === 'string'
        ? `${problem.detail} (${problem.code ?? res.status})`
        : `HTTP ${res.status} from ${path}`,
    );
  }

  /**
   * The events of a server-sent event stream, in order, until it ends or `signal` aborts (no timeout:
   * a quiet stream is not a dead one). Opening it fails as `request` does.
   */
  async *events(path: string, signal: AbortSignal): AsyncGenerator<{ event: string; data: string }> {
    let res: Response;
    try {
      res = await fetch(`${this.target.url}${path}`, {
        headers: {
          accept: 'text/event-stream',
          ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}),
        },
        signal,
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the TameFlare control plane at ${this.target.url} (${causeOf(err)}); is \`tameflare serve\` running?`,
      );
    }
    if (!res.ok || !res.body) {
      const problem = parseJson(await res.text()) as Partial<ProblemDocument> | undefined;
      throw new CliError(
        typeof problem?.detail === 'string'
          ? `${problem.detail} (${problem.code ?? res.status})`
          : `HTTP ${res.status} from ${path}`,
      );
    }
    // Field lines accumulate until a blank line ends the event; comments (`: ping`) are skipped.
    let pending = '';
    let event = 'message';
    let data: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          event = 'message';
          data = [];
        } else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface HealthProbe {
  url: string;
  reachable: boolean;
  status?: number;
  body?: Record<string, unknown>;
  error?: string;
}

/** GET `url`/health of a control plane or a gateway (no token: health is public on both). */
export async function probeHealth(url: string): Promise<HealthProbe> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as Record<string, unknown>;
    return { url, reachable: true, status: res.status, body };
  } catch (err) {
    return { url, reachable: false, error: causeOf(err) };
  }
}

export function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
