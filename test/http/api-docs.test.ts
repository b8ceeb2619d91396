import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../../src/adapters/http/openapi.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const swaggerFolder = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { worker: false });
});
afterAll(() => server.close());

const get = (url: string, headers: Record<string, string> = {}) => fetch(new URL(url, server.baseUrl), { headers });

/** The directives of a Content-Security-Policy header: name → sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((part) => part.trim().split(/\s+/)).filter((words) => words[0]).map(([name, ...sources]) => [name!, sources]));
}

describe('GET /api/openapi.json', () => {
  it('serves the document, revalidated by ETag', async () => {
    const response = await get('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, no-cache');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
    const again = await get('/api/openapi.json', { 'If-None-Match': response.headers.get('etag')! });
    expect(again.status).toBe(304);
  });
});

describe('GET /api/docs', () => {
  let html: string;
  let policy: Map<string, string[]>;
  beforeAll(async () => {
    const response = await get('/api/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    policy = directives(response.headers.get('content-security-policy') ?? '');
    html = await response.text();
  });

  it('is a page whose Content-Security-Policy allows scripts and styles from this origin only', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    for (const sources of policy.values()) for (const source of sources) expect(source).toMatch(/^('[a-z-]+'|data:|blob:)$/);
  });

  it('names no other host and runs no inline script', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\ssrc="\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('references only files the app serves itself, each cached for good at its versioned URL', async () => {
    const urls = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.map((url) => url.replace(/\?.*/, '')).sort()).toEqual(
      [
        '/api/docs/assets/favicon-16x16.png',
        '/api/docs/assets/favicon-32x32.png',
        '/api/docs/assets/index.css',
        '/api/docs/assets/swagger-initializer.js',
        '/api/docs/assets/swagger-ui-bundle.js',
        '/api/docs/assets/swagger-ui-standalone-preset.js',
        '/api/docs/assets/swagger-ui.css',
      ].sort(),
    );
    for (const url of urls) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable');
      const type = response.headers.get('content-type');
      const body = Buffer.from(await response.arrayBuffer());
      if (url.includes('.png')) expect(type).toBe('image/png');
      else if (url.includes('.css')) expect(type).toBe('text/css; charset=utf-8');
      else expect(type).toBe('text/javascript; charset=utf-8');
      expect(body.byteLength, url).toBeGreaterThan(100);
      const again = await get(url, { 'If-None-Match': response.headers.get('etag')! });
      expect(again.status, url).toBe(304);
    }
  });

  it('serves swagger-ui-dist’s own files, and the start-up script points at the document with no online validator', async () => {
    const bundle = Buffer.from(await (await get(`/api/docs/assets/swagger-ui-bundle.js`)).arrayBuffer());
    expect(bundle.toString('utf8').trim()).toBe(readFileSync(path.join(swaggerFolder, 'swagger-ui-bundle.js'), 'utf8').trim());
    const css = await (await get('/api/docs/assets/swagger-ui.css')).text();
    expect(css).not.toContain('sourceMappingURL');
    const initializer = await (await get('/api/docs/assets/swagger-initializer.js')).text();
    expect(initializer).toMatch(/url: "\/api\/openapi\.json\?v=[0-9a-f]{16}"/);
    expect(initializer).toContain('validatorUrl: null');
    expect(initializer).not.toMatch(/https?:\/\//);
  });

  it('answers an unversioned asset with revalidation, and an unknown one with 404', async () => {
    const plain = await get('/api/docs/assets/swagger-ui.css');
    expect(plain.headers.get('cache-control')).toBe('public, no-cache');
    await plain.arrayBuffer();
    for (const name of ['index.html', 'swagger-ui-bundle.js.map', '..%2Fpackage.json', 'oauth2-redirect.html']) {
      const response = await get(`/api/docs/assets/${name}`);
      expect(response.status, name).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });
});
