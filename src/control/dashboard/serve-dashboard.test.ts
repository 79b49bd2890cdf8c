import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { handleError, handleNotFound } from '../problem-reply.js';
import { DASHBOARD_CSP, defaultDashboardDir, isReservedPath, registerDashboard } from './serve-dashboard.js';

let app: FastifyInstance | undefined;
let dir: string | undefined;

afterEach(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  app = undefined;
  dir = undefined;
});

/** The control plane's own error and not-found handling around the dashboard, with a /v1 route. */
async function build(withBuild: boolean): Promise<FastifyInstance> {
  dir = mkdtempSync(join(tmpdir(), 'tf-web-'));
  if (withBuild) {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  }
  app = Fastify();
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.get('/health', async () => ({ status: 'ok' }));
  void app.register(async (v1) => v1.get('/agents', async () => ({ agents: [] })), { prefix: '/v1' });
  registerDashboard(app, { dir });
  await app.ready();
  return app;
}

describe('serving the dashboard', () => {
  it('answers client-side routes with index.html, uncached, under a strict CSP', async () => {
    const a = await build(true);
    for (const url of ['/', '/traffic', '/policies?name=x', '/index.html']) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<title>app</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(DASHBOARD_CSP).not.toContain('unsafe');
  });

  it('caches hashed assets for good and 404s missing files as JSON', async () => {
    const a = await build(true);
    const js = await a.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-type']).toMatch(/javascript/);
    for (const url of ['/assets/missing.js', '/robots.txt']) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not_found' });
    }
    expect((await a.inject({ url: '/favicon.svg' })).statusCode).toBe(200);
  });

  it('never answers an API path with the app', async () => {
    const a = await build(true);
    expect((await a.inject({ url: '/v1/agents' })).json()).toEqual({ agents: [] });
    expect((await a.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    for (const url of ['/v1/nope', '/v1', '/metrics', '/.well-known/jwks.json', '/internal/x', '/api/x']) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: 'not_found' });
    }
    expect((await a.inject({ method: 'POST', url: '/traffic' })).statusCode).toBe(404);
  });

  it('refuses paths that leave the build folder', async () => {
    const a = await build(true);
    const res = await a.inject({ url: '/assets/..%2f..%2fetc%2fpasswd' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.body).not.toContain('root:');
  });

  it('says the dashboard is not built when web/dist is missing, and the API still works', async () => {
    const a = await build(false);
    const res = await a.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'unavailable', status: 503 });
    expect(res.body).toContain('npm run build');
    expect((await a.inject({ url: '/v1/agents' })).statusCode).toBe(200);
  });

  it('knows its reserved prefixes and finds web/dist beside package.json', () => {
    expect(isReservedPath('/v1')).toBe(true);
    expect(isReservedPath('/v1/x')).toBe(true);
    expect(isReservedPath('/v1x')).toBe(false);
    expect(isReservedPath('/healthz')).toBe(false);
    expect(defaultDashboardDir()).toMatch(/web\/dist$/);
  });
});
