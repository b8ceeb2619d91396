import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPS_LATITUDE, gpsLatitudeIn, jpegWithGps } from '../support/hostile-images.js';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('POST /api/v1/images/upload', () => {
  it('answers 201 with the metadata and a delete token, thumbnail pending', async () => {
    const bytes = await samples.jpeg(800, 600);
    const response = await uploadFile(server.baseUrl, bytes, { filename: 'holiday.jpg', type: 'image/jpeg' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      filename: 'holiday.jpg',
      content_type: 'image/jpeg',
      size_bytes: bytes.byteLength,
      width: 800,
      height: 600,
      thumbnail_ready: false,
      thumbnail_status: 'pending',
    });
    expect(body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.delete_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.url).toBe(`/api/v1/images/${String(body.id)}/file`);
    expect(body.thumbnail_url).toBe(`/api/v1/images/${String(body.id)}/thumbnail`);
    expect(new Date(String(body.created_at)).toISOString()).toBe(body.created_at);
    expect(response.headers.get('location')).toBe(`/api/v1/images/${String(body.id)}`);
  });

  it('sniffs the format from the bytes, whatever the client claims', async () => {
    const response = await uploadFile(server.baseUrl, await samples.png(50, 40), { filename: 'lies.jpg', type: 'image/jpeg' });
    const body = (await response.json()) as { id: string; content_type: string };
    expect(body.content_type).toBe('image/png');
    const file = await fetch(`${server.baseUrl}/api/v1/images/${body.id}/file`);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    await file.arrayBuffer();
  });

  it.each(['png', 'webp', 'gif', 'avif', 'tiff'] as const)('accepts %s and makes its thumbnail', async (format) => {
    const response = await uploadFile(server.baseUrl, await samples.image(format, 640, 480));
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    expect(await waitForThumbnail(server.baseUrl, id)).toMatchObject({ thumbnail_status: 'ready', thumbnail_ready: true });
  });
});

describe('GET an image, its file and its thumbnail', () => {
  it('tracks the thumbnail to ready and serves a JPEG inside 300×300', async () => {
    const upload = (await (await uploadFile(server.baseUrl, await samples.jpeg(1200, 800))).json()) as { id: string };
    const ready = await waitForThumbnail(server.baseUrl, upload.id);
    expect(ready).toMatchObject({ thumbnail_status: 'ready', thumbnail_ready: true, thumbnail_error: null });
    expect(ready).not.toHaveProperty('delete_token');
    expect(ready.renditions).toEqual([
      expect.objectContaining({ size: 150, width: 150, height: 100, content_type: 'image/jpeg' }),
      expect.objectContaining({ size: 300, width: 300, height: 200, content_type: 'image/jpeg' }),
      expect.objectContaining({ size: 600, width: 600, height: 400, content_type: 'image/jpeg' }),
    ]);

    const thumb = await fetch(`${server.baseUrl}/api/v1/images/${upload.id}/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 300, 200]);
  });

  it('strips EXIF GPS and XMP from every rendition it serves', async () => {
    const bytes = await jpegWithGps(await samples.jpeg(900, 600));
    expect(gpsLatitudeIn((await sharp(bytes).metadata()).exif)).toEqual([...GPS_LATITUDE]);
    const { id } = (await (await uploadFile(server.baseUrl, bytes)).json()) as { id: string };
    const ready = await waitForThumbnail(server.baseUrl, id);
    const sizes = (ready.renditions as { size: number }[]).map((rendition) => rendition.size);
    expect(sizes).toEqual([150, 300, 600]);
    for (const size of sizes) {
      const thumbnail = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail?size=${size}`);
      expect(thumbnail.status).toBe(200);
      const served = Buffer.from(await thumbnail.arrayBuffer());
      const metadata = await sharp(served).metadata();
      expect([metadata.format, metadata.exif, metadata.xmp]).toEqual(['jpeg', undefined, undefined]);
      expect(served.toString('latin1')).not.toContain('adobe:ns:meta');
    }
  });

  it('serves the original bytes unchanged', async () => {
    const bytes = await samples.webp(300, 200);
    const { id } = (await (await uploadFile(server.baseUrl, bytes)).json()) as { id: string };
    const file = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/webp');
    expect(Number(file.headers.get('content-length'))).toBe(bytes.byteLength);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });

  it('answers 404 JSON for unknown and malformed ids', async () => {
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', '..%2F..%2Fetc', "x'or'1'='1"]) {
      for (const suffix of ['', '/file', '/thumbnail']) {
        const response = await fetch(`${server.baseUrl}/api/v1/images/${id}${suffix}`);
        expect(response.status).toBe(404);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('IMAGE_NOT_FOUND');
      }
    }
  });

  it('lists images newest first with a cursor', async () => {
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = (await (await fetch(`${server.baseUrl}/api/v1/images${query}`)).json()) as {
        items: { id: string; created_at: string }[];
        next_cursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) listed.add(item.id);
      cursor = page.next_cursor;
    } while (cursor);
    const all = (await (await fetch(`${server.baseUrl}/api/v1/images?limit=100`)).json()) as { items: { id: string; created_at: string }[] };
    expect(listed.size).toBe(all.items.length);
    const times = all.items.map((i) => i.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });
});
