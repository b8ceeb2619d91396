import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

let server: TestServer;
let bytes: Uint8Array;
let image: { id: string; checksum_sha256: string; placeholder: string; renditions: { size: number; url: string; bytes: number }[] };
beforeAll(async () => {
  server = await startTestServer();
  bytes = await samples.jpeg(1000, 700, { quality: 80 });
  const { id } = (await (await uploadFile(server.baseUrl, bytes)).json()) as { id: string };
  image = (await waitForThumbnail(server.baseUrl, id)) as typeof image;
});
afterAll(() => server.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.baseUrl}${path}`, { headers });

describe('checksums and renditions', () => {
  it('exposes the SHA-256 of the original, every default size, and a placeholder', () => {
    expect(image.checksum_sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(image.renditions.map((r) => r.size)).toEqual([150, 300, 600]);
    expect(image.placeholder).toMatch(/^[A-Za-z0-9+/]{20,40}={0,2}$/);
  });
});

describe('conditional requests', () => {
  it('serves the original with its checksum as a strong ETag, and 304 to a matching If-None-Match', async () => {
    const first = await get(`/api/v1/images/${image.id}/file`);
    expect(first.headers.get('etag')).toBe(`"${image.checksum_sha256}"`);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    await first.arrayBuffer();
    const again = await get(`/api/v1/images/${image.id}/file`, { 'If-None-Match': `"${image.checksum_sha256}"` });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    const changed = await get(`/api/v1/images/${image.id}/file`, { 'If-None-Match': '"something-else"' });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
  });

  it('gives renditions their own ETags; content-addressed thumbnail URLs are immutable, plain ones revalidate', async () => {
    const rendition = image.renditions.find((r) => r.size === 300)!;
    const versioned = await get(rendition.url);
    const body = new Uint8Array(await versioned.arrayBuffer());
    expect(versioned.headers.get('etag')).toBe(`"${createHash('sha256').update(body).digest('hex')}"`);
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(body.byteLength).toBe(rendition.bytes);

    const plain = await get(`/api/v1/images/${image.id}/thumbnail`);
    expect(plain.headers.get('cache-control')).toBe('public, no-cache');
    expect(plain.headers.get('etag')).toBe(versioned.headers.get('etag'));
    await plain.arrayBuffer();
    const revalidated = await get(`/api/v1/images/${image.id}/thumbnail`, { 'If-None-Match': versioned.headers.get('etag')! });
    expect(revalidated.status).toBe(304);
  });
});

describe('range requests on originals', () => {
  it('answers a byte range with 206 and exactly those bytes', async () => {
    const response = await get(`/api/v1/images/${image.id}/file`, { Range: 'bytes=100-1099' });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.byteLength}`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes.subarray(100, 1100));
    const suffix = await get(`/api/v1/images/${image.id}/file`, { Range: 'bytes=-10' });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.subarray(bytes.byteLength - 10));
  });

  it('answers 416 for a range outside the file, and the whole file for a stale If-Range', async () => {
    const outside = await get(`/api/v1/images/${image.id}/file`, { Range: `bytes=${bytes.byteLength + 5}-` });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${bytes.byteLength}`);
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('RANGE_NOT_SATISFIABLE');
    const stale = await get(`/api/v1/images/${image.id}/file`, { Range: 'bytes=0-9', 'If-Range': '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(bytes.byteLength);
    const fresh = await get(`/api/v1/images/${image.id}/file`, { Range: 'bytes=0-9', 'If-Range': `"${image.checksum_sha256}"` });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
  });
});

describe('identical bytes', () => {
  it('get their own id and token, and a response that looks exactly like a first upload', async () => {
    const again = (await (await uploadFile(server.baseUrl, bytes)).json()) as Record<string, unknown>;
    expect(again.id).not.toBe(image.id);
    expect(again).toMatchObject({ thumbnail_status: 'pending', thumbnail_ready: false, renditions: [], placeholder: null });
    const ready = await waitForThumbnail(server.baseUrl, String(again.id));
    expect(ready.renditions).toEqual(image.renditions.map((r) => ({ ...r, url: r.url.replace(image.id, String(again.id)) })));
  });
});
