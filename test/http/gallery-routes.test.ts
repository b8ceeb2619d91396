import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findGalleryFolder, GALLERY_CSP, galleryRoutes } from '../../src/adapters/http/gallery-routes.js';
import { errorMiddleware } from '../../src/adapters/http/http-errors.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { recordResponses, type ResponseRecorder } from '../support/openapi-recorder.js';

let server: ReturnType<Koa['listen']>;
let baseUrl: string;
let responses: ResponseRecorder;

beforeAll(async () => {
  const app = new Koa();
  app.silent = true;
  responses = recordResponses(app);
  // As in the service: unknown paths get the JSON 404.
  app.use(errorMiddleware(new MemoryLogger()));
  app.use(galleryRoutes().routes());
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  responses.assertConforming();
});

/** Every asset the page loads, following the modules' relative imports, as served. */
async function crawl(): Promise<Map<string, Response>> {
  const seen = new Map<string, Response>();
  const page = await (await fetch(`${baseUrl}/`)).text();
  const queue = [...page.matchAll(/(?:href|src)="(\/gallery\/[^"]+)"/g)].map((m) => m[1]!);
  while (queue.length > 0) {
    const url = new URL(queue.shift()!, baseUrl);
    if (seen.has(url.pathname + url.search)) continue;
    const response = await fetch(url);
    seen.set(url.pathname + url.search, response);
    if (!url.pathname.endsWith('.js')) continue;
    for (const m of (await response.clone().text()).matchAll(/\bfrom\s*'(\.{1,2}\/[^']+)'/g)) queue.push(new URL(m[1]!, url).href);
  }
  return seen;
}

describe('the gallery page and its assets', () => {
  it('serves the page with the strict CSP, revalidated on every load', async () => {
    const response = await fetch(`${baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(GALLERY_CSP);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const again = await fetch(`${baseUrl}/`, { headers: { 'If-None-Match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('loads only versioned, long-cached local assets: every import resolves, the decoder included', async () => {
    const assets = await crawl();
    expect([...assets.keys()].map((key) => key.replace(/\?v=[0-9a-f]{16}$/, '')).sort()).toEqual([
      '/gallery/api.js',
      '/gallery/gallery.css',
      '/gallery/gallery.js',
      '/gallery/status.js',
      '/gallery/tokens.js',
      '/gallery/uploads.js',
      '/gallery/vendor/thumbhash.js',
    ]);
    for (const [url, response] of assets) {
      expect(response.status, url).toBe(200);
      expect(response.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type'), url).toBe(url.includes('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
    }
    const decoder = [...assets].find(([url]) => url.startsWith('/gallery/vendor/thumbhash.js'))![1];
    expect(await decoder.text()).toContain('export function thumbHashToDataURL');
  });

  it('revalidates an asset asked for without its current version, and knows no other file', async () => {
    const stale = await fetch(`${baseUrl}/gallery/gallery.js?v=0000000000000000`);
    expect(stale.headers.get('cache-control')).toBe('public, no-cache');
    expect((await fetch(`${baseUrl}/gallery/gallery.js`, { headers: { 'If-None-Match': stale.headers.get('etag')! } })).status).toBe(304);
    for (const missing of ['/gallery/index.html', '/gallery/../package.json', '/gallery/vendor/', '/gallery/nope.js']) {
      expect((await fetch(`${baseUrl}${missing}`)).status, missing).toBe(404);
    }
  });

  it('finds the source folder from the compiled module in dist/ too, and names it when it is missing', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const expected = path.join(root, 'src/adapters/http/gallery');
    expect(findGalleryFolder(path.join(root, 'src/adapters/http'))).toBe(expected);
    expect(findGalleryFolder(path.join(root, 'dist/src/adapters/http'))).toBe(expected);
    expect(() => findGalleryFolder(os.tmpdir())).toThrow(/src\/adapters\/http\/gallery\/index\.html/);
  });
});
