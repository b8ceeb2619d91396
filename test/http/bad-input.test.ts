import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postChunked } from '../support/chunked-post.js';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server.js';

const MAX_UPLOAD_BYTES = 200_000;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MAX_PIXELS: '4000000' });
});
afterAll(() => server.close());

async function errorOf(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message).toEqual(expect.any(String));
  return [response.status, body.error.code];
}

async function imageCount(): Promise<number> {
  const page = (await (await fetch(`${server.baseUrl}/api/v1/images?limit=100`)).json()) as { items: unknown[] };
  return page.items.length;
}

describe('uploads that are refused', () => {
  it.each([
    ['an empty file', () => new Uint8Array(), 400, 'EMPTY_FILE'],
    ['one byte', () => new Uint8Array([0xff]), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['SVG', () => samples.svg(), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['HTML named .png', () => samples.text('<!doctype html><script>alert(1)</script>'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a PDF', () => samples.text('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a JPEG cut inside its header', async () => samples.truncated(await samples.jpeg(64, 64), 0.01), 422, 'INVALID_IMAGE'],
    ['more pixels than MAX_PIXELS', () => samples.pixelBomb(30_000, 30_000), 422, 'IMAGE_TOO_LARGE'],
  ] as const)('%s → %i %s, storing nothing', async (_name, make, status, code) => {
    const before = await imageCount();
    const response = await uploadFile(server.baseUrl, await make(), { filename: 'x.png', type: 'image/png' });
    expect(await errorOf(response)).toEqual([status, code]);
    expect(await imageCount()).toBe(before);
  });

  it('refuses a file over MAX_UPLOAD_BYTES with 413', async () => {
    const response = await uploadFile(server.baseUrl, new Uint8Array(MAX_UPLOAD_BYTES + 1));
    expect(await errorOf(response)).toEqual([413, 'FILE_TOO_LARGE']);
  });

  it('refuses an oversized body sent without Content-Length while it streams', async () => {
    const boundary = 'xxBOUNDARYxx';
    const status = await postChunked(`${server.baseUrl}/api/v1/images/upload`, {
      contentType: `multipart/form-data; boundary=${boundary}`,
      head: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      // Keep sending well past the limit; the server must answer before we are done.
      filler: Buffer.alloc(64 * 1024, 1),
      fillerBytes: MAX_UPLOAD_BYTES * 20,
      tail: `\r\n--${boundary}--\r\n`,
    });
    expect(status).toBe(413);
  });

  it('needs multipart with a field named "file"', async () => {
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: 'hello' }))).toEqual([
      400,
      'FILE_REQUIRED',
    ]);
    expect(await errorOf(await uploadFile(server.baseUrl, await samples.jpeg(10, 10), { field: 'image' }))).toEqual([400, 'TOO_MANY_FILES']);
    const form = new FormData();
    form.append('title', 'no file here');
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form }))).toEqual([
      400,
      'FILE_REQUIRED',
    ]);
  });

  it('refuses two files', async () => {
    const form = new FormData();
    const bytes = await samples.jpeg(10, 10);
    form.append('file', new Blob([bytes]), 'a.jpg');
    form.append('file', new Blob([bytes]), 'b.jpg');
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form }))).toEqual([
      400,
      'TOO_MANY_FILES',
    ]);
  });

  it('refuses a malformed multipart body', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/images/upload`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=abc' },
      body: '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nunterminated',
    });
    expect(await errorOf(response)).toEqual([400, 'MALFORMED_MULTIPART']);
  });
});

describe('hostile filenames', () => {
  it('are stored and echoed as plain display names', async () => {
    const response = await uploadFile(server.baseUrl, await samples.png(8, 8), { filename: '../../etc/\u202Epasswd.png' });
    const body = (await response.json()) as { id: string; filename: string };
    expect(body.filename).toBe('passwd.png');
    const file = await fetch(`${server.baseUrl}/api/v1/images/${body.id}/file`);
    expect(file.headers.get('content-disposition')).toBe('inline; filename="passwd.png"');
    await file.arrayBuffer();
  });

  it('keep UTF-8 names intact', async () => {
    const response = await uploadFile(server.baseUrl, await samples.png(8, 8), { filename: 'héllo wörld 猫.png' });
    const body = (await response.json()) as { id: string; filename: string };
    expect(body.filename).toBe('héllo wörld 猫.png');
    const file = await fetch(`${server.baseUrl}/api/v1/images/${body.id}/file`);
    expect(file.headers.get('content-disposition')).toContain("filename*=UTF-8''h%C3%A9llo%20w%C3%B6rld%20%E7%8C%AB.png");
    await file.arrayBuffer();
  });
});

describe('routing', () => {
  it('answers unknown routes and methods with JSON errors', async () => {
    expect(await errorOf(await fetch(`${server.baseUrl}/nope`))).toEqual([404, 'NOT_FOUND']);
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'GET' }))).toEqual([404, 'IMAGE_NOT_FOUND']);
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images`, { method: 'PUT' }))).toEqual([405, 'METHOD_NOT_ALLOWED']);
  });
});
