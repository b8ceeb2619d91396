import { beforeAll, describe, expect, it } from 'vitest';
import { postChunked, type ChunkedAnswer } from '../support/chunked-post.js';
import * as samples from '../support/sample-images.js';
import { serverWithSentinel } from '../support/sentinel.js';
import { uploadFile, type TestServer } from '../support/test-server.js';

const MAX_UPLOAD_BYTES = 200_000;
const setup = serverWithSentinel({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MAX_PIXELS: '4000000' }, { refusedOnly: true });
let server: TestServer;
beforeAll(() => {
  server = setup.server;
});

async function errorOf(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message).toEqual(expect.any(String));
  return [response.status, body.error.code];
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
    const response = await uploadFile(server.baseUrl, await make(), { filename: 'x.png', type: 'image/png' });
    expect(await errorOf(response)).toEqual([status, code]);
  });

  it('refuses a file over MAX_UPLOAD_BYTES with 413', async () => {
    const response = await uploadFile(server.baseUrl, new Uint8Array(MAX_UPLOAD_BYTES + 1));
    expect(await errorOf(response)).toEqual([413, 'FILE_TOO_LARGE']);
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

describe('an oversized body sent without Content-Length (chunked, so the server learns its size only by reading it)', () => {
  const boundary = 'xxBOUNDARYxx';
  // 64 MiB: far more than loopback's socket buffers hold (~36 MiB here), so an early answer shows as a body cut short.
  const FILLER_BYTES = 64 * 1024 * 1024;
  let answer: ChunkedAnswer;
  beforeAll(async () => {
    answer = await postChunked(`${server.baseUrl}/api/v1/images/upload`, {
      contentType: `multipart/form-data; boundary=${boundary}`,
      head: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      filler: Buffer.alloc(256 * 1024, 1),
      fillerBytes: FILLER_BYTES,
      tail: `\r\n--${boundary}--\r\n`,
    });
  });

  it('is refused with 413 FILE_TOO_LARGE, nothing stored', () => {
    expect([answer.status, answer.code]).toEqual([413, 'FILE_TOO_LARGE']);
  });

  // multer drains a refused body to its end before it reports the limit; the service counts the body
  // itself and answers as soon as it passes the limit, then closes the connection.
  it('is answered while the body still streams, long before all of it was sent', () => {
    expect(answer.sentInFull).toBe(false);
    expect(answer.bytesSent).toBeLessThan(FILLER_BYTES);
  });
});

describe('routing', () => {
  it('answers unknown routes and methods with JSON errors', async () => {
    expect(await errorOf(await fetch(`${server.baseUrl}/nope`))).toEqual([404, 'NOT_FOUND']);
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'GET' }))).toEqual([404, 'IMAGE_NOT_FOUND']);
    expect(await errorOf(await fetch(`${server.baseUrl}/api/v1/images`, { method: 'PUT' }))).toEqual([405, 'METHOD_NOT_ALLOWED']);
  });
});
