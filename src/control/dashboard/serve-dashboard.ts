// Serves the prebuilt dashboard (web/dist) at `/`.
//
// Threat model: the files are public (the app holds no secrets; every datum comes from /v1 behind
// authentication), so the risks are script injection, clickjacking, MIME confusion and reading files
// outside the build folder. Controls: a strict Content-Security-Policy (scripts, styles and requests
// from this origin only, no inline code, no framing), nosniff, no referrer; files are resolved by
// @fastify/static (send), which refuses paths that leave its root. API prefixes are never answered
// with the app: an unknown /v1 path stays a problem+json 404.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/codes.js';

/** Paths that belong to the API and the roles' own endpoints, never to the app. */
export const RESERVED_PREFIXES = ['/v1', '/health', '/metrics', '/.well-known', '/internal', '/api'] as const;

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export interface DashboardOptions {
  /** The built app; default: `web/dist` of the installed package. */
  dir?: string | undefined;
}

export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** `web/dist` beside the nearest package.json above this module (source tree, dist/ build or /app). */
export function defaultDashboardDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist');
    const up = dirname(dir);
    if (up === dir) return join(dirname(from), 'web', 'dist');
    dir = up;
  }
}

export function registerDashboard(app: FastifyInstance, opts: DashboardOptions = {}): void {
  const root = opts.dir ?? defaultDashboardDir();
  const indexFile = join(root, 'index.html');

  void app.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false });
    scope.addHook('onSend', async (_req, reply, payload) => {
      if (reply.statusCode < 400) for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
      return payload;
    });

    const serveApp = (req: FastifyRequest, reply: FastifyReply) => {
      const path = req.url.split('?')[0] ?? '/';
      if (isReservedPath(path)) return reply.callNotFound();
      // Hashed file names change with their content, so they can be cached for good.
      if (path.startsWith('/assets/')) return reply.sendFile(path, root, { immutable: true, maxAge: '365d' });
      const last = path.slice(path.lastIndexOf('/') + 1);
      // A file of the build (favicon.svg); a dotted name that is not one is a 404, not the app.
      if (last.includes('.') && last !== 'index.html') return reply.sendFile(path, root, { maxAge: '1h' });
      if (!isFile(indexFile)) {
        throw new AppError(
          'unavailable',
          'the dashboard is not built: run `npm run build` (web/dist/index.html is missing); the API under /v1 works without it',
        );
      }
      // The shell names the current hashed assets, so it is revalidated on every load.
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', root, { cacheControl: false });
    };
    const schema = {
      summary: "The dashboard (a single-page app; its routes are the app's)",
      tags: ['dashboard'],
    };
    scope.get('/', { schema }, serveApp);
    scope.get('/*', { schema }, serveApp);
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
