import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../../src/adapters/http/docs-routes.js';
import { GALLERY_CSP } from '../../src/adapters/http/gallery-routes.js';
import { createHealthApp } from '../../src/adapters/http/http-app.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { startInMemoryApp } from '../support/in-memory-app.js';
import { recordResponses } from '../support/openapi-recorder.js';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

const EVERY_RESPONSE = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const FILE_CSP = "default-src 'none'; sandbox";

function expectSecurityHeaders(headers: Headers, csp: string | null): void {
  for (const [name, value] of Object.entries(EVERY_RESPONSE)) expect(headers.get(name), name).toBe(value);
  expect(headers.get('content-security-policy')).toBe(csp);
}

let server: TestServer;
let image: { id: string; delete_token: string; checksum_sha256: string };
beforeAll(async () => {
  server = await startTestServer({ THUMBNAIL_SIZES: '150' });
  const response = await uploadFile(server.baseUrl, await samples.jpeg(64, 48));
  expectSecurityHeaders(response.headers, API_CSP);
  image = (await response.json()) as typeof image;
  await waitForThumbnail(server.baseUrl, image.id);
});
afterAll(() => server.close());

describe('every response of the API carries the security headers', () => {
  it.each([
    ['GET', '/healthz', 200],
    ['GET', '/readyz', 200],
    ['GET', '/api/v1/images', 200],
    ['GET', '/api/v1/images/{id}', 200],
    ['HEAD', '/api/v1/images/{id}', 200],
    ['GET', '/api/v1/jobs', 200],
    ['GET', '/api/v1/images/AAAAAAAAAAAAAAAAAAAAAA', 404],
    ['GET', '/api/v1/images/AAAAAAAAAAAAAAAAAAAAAA/file', 404],
    ['GET', '/api/v1/images/{id}/thumbnail?size=999', 400],
    ['GET', '/nope', 404],
    ['PUT', '/api/v1/images', 405],
    ['OPTIONS', '/api/v1/images', 200],
    ['DELETE', '/api/v1/images/{id}', 403],
    ['POST', '/api/v1/images/upload', 400],
  ])('%s %s → %i, JSON policy', async (method, path, status) => {
    const response = await fetch(server.baseUrl + path.replace('{id}', image.id), { method });
    expect(response.status).toBe(status);
    expectSecurityHeaders(response.headers, API_CSP);
    await response.arrayBuffer();
  });

  it.each([
    ['the original', '/file', {}, 200],
    ['a byte range of it', '/file', { Range: 'bytes=0-9' }, 206],
    ['a revalidation', '/file', { 'If-None-Match': '"{sha}"' }, 304],
    ['the thumbnail', '/thumbnail', {}, 200],
  ])('%s keeps the sandbox policy of served files, as an image with nosniff', async (_name, suffix, headers, status) => {
    const sent = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('{sha}', image.checksum_sha256)]));
    const response = await fetch(`${server.baseUrl}/api/v1/images/${image.id}${suffix}`, { headers: sent });
    expect(response.status).toBe(status);
    expectSecurityHeaders(response.headers, FILE_CSP);
    if (status !== 304) expect(response.headers.get('content-type')).toBe('image/jpeg');
    await response.arrayBuffer();
  });

  it('an event stream, whose headers go out before any event', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.baseUrl}/api/v1/images/${image.id}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expectSecurityHeaders(response.headers, API_CSP);
    controller.abort();
  });

  it('an upload refused from its Content-Length alone, and a 204 delete', async () => {
    const status = await new Promise<[number, unknown]>((resolve, reject) => {
      const req = request(`${server.baseUrl}/api/v1/images/upload`, {
        method: 'POST',
        headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': String(1024 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        resolve([res.statusCode ?? 0, res.headers['content-security-policy']]);
        req.destroy();
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.flushHeaders();
    });
    expect(status).toEqual([413, API_CSP]);
    const own = (await (await uploadFile(server.baseUrl, await samples.png(9, 9))).json()) as typeof image;
    const deleted = await fetch(`${server.baseUrl}/api/v1/images/${own.id}`, { method: 'DELETE', headers: { 'X-Delete-Token': own.delete_token } });
    expect(deleted.status).toBe(204);
    expectSecurityHeaders(deleted.headers, API_CSP);
  });
});

describe('HTML responses', () => {
  const token = 'an-admin-token-long-enough';
  const dashboard = '<!doctype html><title>queues</title>';
  let app: Awaited<ReturnType<typeof startInMemoryApp>>;
  beforeAll(async () => {
    app = await startInMemoryApp({
      adminToken: token,
      // A stand-in for bull-board's dashboard (QUEUE=bullmq), mounted where the service mounts it: a page that sets no policy.
      adminMounts: [
        {
          path: '/admin/queues',
          middleware: (ctx) => {
            ctx.type = 'html';
            ctx.body = dashboard;
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    app.responses.assertConforming();
  });

  it('get the frame, sniffing, referrer and opener headers but no JSON policy when they set none', async () => {
    const page = await fetch(`${app.baseUrl}/admin/queues`, { headers: { Authorization: `Bearer ${token}` } });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(page.headers, null);
    expect(await page.text()).toBe(dashboard);
    // The same route refusing the request answers JSON, with the JSON policy.
    const refused = await fetch(`${app.baseUrl}/admin/queues`);
    expect(refused.status).toBe(401);
    expectSecurityHeaders(refused.headers, API_CSP);
    await refused.arrayBuffer();
  });

  it.each([
    ['the gallery', '/', GALLERY_CSP],
    ['the API docs', '/api/docs', DOCS_CSP],
  ])('%s keeps a policy of its own', async (_name, path, csp) => {
    const response = await fetch(app.baseUrl + path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(response.headers, csp);
    await response.arrayBuffer();
  });
});

describe("a worker's health app", () => {
  it('carries them too', async () => {
    // The service's three checks, as a worker has them (src/imagehost.ts).
    const checks = ['database', 'storage', 'queue'].map((name) => ({ name, check: () => Promise.resolve() }));
    const health = createHealthApp(checks, new MemoryLogger());
    const responses = recordResponses(health);
    const listening = health.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => listening.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
      for (const path of ['/healthz', '/readyz', '/nope']) {
        const response = await fetch(base + path);
        expectSecurityHeaders(response.headers, API_CSP);
        await response.arrayBuffer();
      }
    } finally {
      listening.closeAllConnections();
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    }
    responses.assertConforming();
  });
});
