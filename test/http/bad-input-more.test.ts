import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFormat } from '../../src/domain/image-format.js';
import { postChunked } from '../support/chunked-post.js';
import { SCRIPT_MARKER, withGarbageIdat, withHtmlAppended, withHtmlComment } from '../support/hostile-images.js';
import * as samples from '../support/sample-images.js';
import { listedIds, uploadSentinel, type Sentinel } from '../support/sentinel.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

const FILE_CSP = "default-src 'none'; sandbox";
const SMALL_PNG = await samples.png(8, 8);

let server: TestServer;
let sentinel: Sentinel;
beforeAll(async () => {
  server = await startTestServer({ THUMBNAIL_SIZES: '150' });
  sentinel = await uploadSentinel(server);
});
// Whatever a case sent, the image stored before it still answers in full.
afterEach(() => sentinel.expectIntact());
afterAll(() => server.close());

async function bodyOf(response: Response): Promise<[number, Record<string, unknown>]> {
  return [response.status, (await response.json()) as Record<string, unknown>];
}

async function expectOriginalServed(id: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const file = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
  expect(file.status).toBe(200);
  expect(file.headers.get('content-type')).toBe(contentType);
  expect(file.headers.get('x-content-type-options')).toBe('nosniff');
  expect(file.headers.get('content-security-policy')).toBe(FILE_CSP);
  expect(file.headers.get('content-disposition')).toMatch(/^inline;/);
  expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
}

describe('polyglots: an image that is also an HTML page', () => {
  it.each([
    ['HTML appended after the JPEG', withHtmlAppended],
    ['HTML in a JPEG comment segment', withHtmlComment],
  ])('%s is accepted as JPEG and only ever served as an image (nosniff, sandbox), its thumbnail free of the payload', async (_name, make) => {
    const bytes = make(await samples.jpeg(90, 60));
    const response = await uploadFile(server.baseUrl, bytes, { filename: 'evil.html', type: 'text/html' });
    const [status, body] = await bodyOf(response);
    expect(status).toBe(201);
    expect(body.content_type).toBe('image/jpeg');
    const id = body.id as string;
    await expectOriginalServed(id, bytes, 'image/jpeg');
    expect((await waitForThumbnail(server.baseUrl, id)).thumbnail_status).toBe('ready');
    const thumbnail = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail`);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect(thumbnail.headers.get('content-security-policy')).toBe(FILE_CSP);
    expect(Buffer.from(await thumbnail.arrayBuffer()).toString('latin1')).not.toContain(SCRIPT_MARKER);
  });
});

describe('a PNG with a valid header and garbage pixel data', () => {
  it('is accepted from its header, then its thumbnails fail as INVALID_IMAGE while the original is still served', async () => {
    const bytes = withGarbageIdat(await samples.png(64, 48));
    const [status, body] = await bodyOf(await uploadFile(server.baseUrl, bytes));
    expect(status).toBe(201);
    expect(body).toMatchObject({ content_type: 'image/png', width: 64, height: 48 });
    const settled = await waitForThumbnail(server.baseUrl, body.id as string);
    expect(settled).toMatchObject({ thumbnail_status: 'failed', thumbnail_error: 'INVALID_IMAGE', renditions: [] });
    await expectOriginalServed(body.id as string, bytes, 'image/png');
    const [thumbnailStatus, thumbnail] = await bodyOf(await fetch(`${server.baseUrl}/api/v1/images/${body.id as string}/thumbnail`));
    expect([thumbnailStatus, (thumbnail.error as { code: string }).code]).toEqual([404, 'THUMBNAIL_NOT_READY']);
  });
});

describe('a truncated image of every accepted format', () => {
  const FORMATS: ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'];
  const FRACTIONS = [0.05, 0.3, 0.6, 0.9, 0.99];

  it.each(FORMATS)('%s: each cut is refused as INVALID_IMAGE, or accepted and then failed; never 500, never ready', async (format) => {
    const full = await samples.image(format, 200, 150);
    const outcomes: string[] = [];
    for (const fraction of FRACTIONS) {
      const bytes = samples.truncated(full, fraction);
      const [status, body] = await bodyOf(await uploadFile(server.baseUrl, bytes, { filename: `cut.${format}` }));
      if (status === 201) {
        const settled = await waitForThumbnail(server.baseUrl, body.id as string);
        expect(settled, `${format} cut at ${fraction}`).toMatchObject({ thumbnail_status: 'failed', thumbnail_error: 'INVALID_IMAGE' });
        await expectOriginalServed(body.id as string, bytes, `image/${format}`);
        outcomes.push('accepted, then failed');
        continue;
      }
      const { code } = body.error as { code: string };
      // A TIFF cut before its image directory (libtiff writes it last) no longer reads as a TIFF at all:
      // file-type cannot tell it from TIFF-based raw camera formats, and says so with 415.
      const refusals = format === 'tiff' ? [[422, 'INVALID_IMAGE'], [415, 'UNSUPPORTED_MEDIA_TYPE']] : [[422, 'INVALID_IMAGE']];
      expect(refusals, `${format} cut at ${fraction}: ${status} ${code}`).toContainEqual([status, code]);
      outcomes.push(`${status} ${code}`);
    }
    expect(outcomes).toHaveLength(FRACTIONS.length);
  });
});

describe('huge or numerous form fields besides the file', () => {
  let before: string[];
  let keysBefore: string[];
  beforeAll(async () => {
    before = await listedIds(server.baseUrl);
    keysBefore = await server.storedKeys();
  });
  afterEach(async () => {
    expect(await listedIds(server.baseUrl)).toEqual(before);
    expect((await server.storedKeys()).sort()).toEqual([...keysBefore].sort());
  });

  /** Posts the parts in order; a part is a text field [name, value] or the file [name, bytes, filename]. */
  async function post(parts: ([string, string] | [string, Uint8Array, string])[]): Promise<[number, string]> {
    const form = new FormData();
    for (const [name, value, filename] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value]), filename);
    }
    const [status, body] = await bodyOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form }));
    return [status, (body.error as { code: string }).code];
  }
  const MiB = 'x'.repeat(1024 * 1024);

  it.each([
    ['a 1 MiB text field before the file', [['title', MiB], ['file', SMALL_PNG, 'a.png']]],
    ['a 1 MiB text field after the file', [['file', SMALL_PNG, 'a.png'], ['title', MiB]]],
    ['a field with a 10 KB name', [['n'.repeat(10_000), 'v'], ['file', SMALL_PNG, 'a.png']]],
    ['50 small fields', [...Array.from({ length: 50 }, (_, i) => [`f${i}`, 'v']), ['file', SMALL_PNG, 'a.png']]],
    ['a filename of 100 KB', [['file', SMALL_PNG, `${'a'.repeat(100_000)}.png`]]],
  ] as [string, ([string, string] | [string, Uint8Array, string])[]][])('%s → 400 MALFORMED_MULTIPART, nothing stored', async (_name, parts) => {
    expect(await post(parts)).toEqual([400, 'MALFORMED_MULTIPART']);
  });

  it('a 32 MiB text field sent without Content-Length is refused with 400 and stores nothing', async () => {
    // multer truncates a text field at fieldSize but reads (and discards) the rest of the body before answering:
    // memory stays bounded, the time spent is bounded by the server's request and idle timeouts.
    const boundary = 'xxFIELDxx';
    const status = await postChunked(`${server.baseUrl}/api/v1/images/upload`, {
      contentType: `multipart/form-data; boundary=${boundary}`,
      head: `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n`,
      filler: Buffer.alloc(256 * 1024, 0x61),
      fillerBytes: 32 * 1024 * 1024,
      tail: Buffer.concat([
        Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`),
        SMALL_PNG,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    expect(status).toBe(400);
  });
});
